/**
 * Reading the open repository: browse a snapshot's folders, download one file, restore a path, or
 * several picked entries at once (./restore-plan.ts), into a folder (File System Access API) or as
 * a streamed .zip or .tar (./restore-run.ts).
 */
import { createMeter } from '../progress.js'
import { planRestore } from './restore-plan.js'
import { runRestore, totalsOf } from './restore-run.js'
import { InvalidInputError } from '../../core/errors.js'
import { saveStream } from '../../platform/save-file.js'
import type { RestoreOutcome, RestoreTarget } from './restore-run.js'
import type { BackupsContext, Session } from './session.js'
import type { BackupsService, ProgressOptions } from './types.js'
import type { AbortOptions } from '../../core/options.js'
import type { Snapshot } from '../../restic/repofile/snapshot.js'

export function restoreActions (ctx: BackupsContext): Pick<BackupsService, 'list' | 'downloadFile' | 'restoreZip' | 'restoreToDirectory' | 'restorePath' | 'restoreSelection'> {
  const { live, engine } = ctx

  async function snapshotOf (s: Session, id: string, options: AbortOptions): Promise<Snapshot> {
    const e = await engine()
    return await e.findSnapshot(s.repo, id, {}, options)
  }

  /** A whole snapshot or one path of it (its contents), as the snapshot row and the browser offer. */
  async function restorePath (snapshotId: string, path: string, target: RestoreTarget, options: ProgressOptions = {}): Promise<RestoreOutcome> {
    const s = live()
    const e = await engine()
    const snap = await snapshotOf(s, snapshotId, options)
    const sub = e.splitPath(path)
    const totals = await totalsOf(s, e, snap, [sub], options)
    const last = sub[sub.length - 1]
    return await runRestore(s, e, { snap, path, totals, archiveName: last ?? (target.kind === 'folder' ? '' : `snapshot-${snap.id.slice(0, 8)}`) }, target, options)
  }

  return {
    async list (snapshotId, path, options = {}) {
      const s = live()
      const e = await engine()
      const snap = await snapshotOf(s, snapshotId, options)
      const sub = e.splitPath(path)
      let treeId = snap.tree
      if (sub.length > 0) {
        const n = await e.findNode(s.repo, snap.tree, sub, options)
        if (n.type !== 'dir' || typeof n.subtree !== 'string') throw new InvalidInputError(`${path} is not a folder in snapshot ${snapshotId.slice(0, 8)}.`)
        treeId = n.subtree
      }
      const tree = await e.loadTree(s.repo, treeId, options)
      return tree.nodes.map(n => ({ name: n.name, type: n.type, size: n.size ?? 0, mtime: n.mtime }))
    },

    async downloadFile (snapshotId, path, options = {}) {
      const s = live()
      const e = await engine()
      const snap = await snapshotOf(s, snapshotId, options)
      const n = await e.findNode(s.repo, snap.tree, e.splitPath(path), options)
      if (n.type !== 'file') throw new InvalidInputError(`${path} is not a file; restore folders as a zip or into a folder.`)
      await s.repo.loadIndex({ signal: options.signal })
      const meter = createMeter('Downloading')
      const total = n.size ?? 0
      let done = 0
      async function * content (): AsyncGenerator<Uint8Array> {
        for (const id of n.content ?? []) {
          const blob = await s.repo.loadBlob('data', id, { signal: options.signal })
          done += blob.length
          options.onProgress?.(meter.update(done, total))
          yield blob
        }
      }
      await saveStream(n.name, content(), { size: total, ...(options.signal !== undefined ? { signal: options.signal } : {}) })
    },

    async restoreZip (snapshotId, path, options = {}) {
      return await restorePath(snapshotId, path, { kind: 'zip' }, options)
    },

    async restoreToDirectory (snapshotId, path, dir, options = {}) {
      return await restorePath(snapshotId, path, { kind: 'folder', dir }, options)
    },

    restorePath,

    async restoreSelection (snapshotId, paths, target, options = {}) {
      const s = live()
      const e = await engine()
      const plan = planRestore(paths)
      const snap = await snapshotOf(s, snapshotId, options)
      const totals = await totalsOf(s, e, snap, plan.paths, options)
      const name = plan.base[plan.base.length - 1] ?? `snapshot-${snap.id.slice(0, 8)}`
      return await runRestore(s, e, { snap, path: '/' + plan.base.join('/'), select: plan.select, totals, archiveName: name }, target, options)
    }
  }
}
