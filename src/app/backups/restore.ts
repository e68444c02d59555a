/**
 * Reading the open repository: browse a snapshot's folders, download one file, restore a path as
 * a streamed zip or into a folder (File System Access API).
 */
import { createMeter } from '../progress.js'
import { InvalidInputError, UnsafeNameError, isAbortError } from '../../core/errors.js'
import { saveStream } from '../../platform/save-file.js'
import type { BackupsContext, Session } from './session.js'
import type { BackupsService, ProgressOptions } from './types.js'
import type { AbortOptions } from '../../core/options.js'
import type { Snapshot } from '../../restic/repofile/snapshot.js'
import type * as Engine from '../backups-engine.js'

/** A RestoreIncompleteError whose every failure is a refused name: nothing of those was written. */
function onlyRefusedNames (err: unknown): boolean {
  const e = err as { name?: unknown, errors?: ReadonlyArray<{ code?: string }> } | null
  return e?.name === 'RestoreIncompleteError' && Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(x => x.code === UnsafeNameError.code)
}

export function restoreActions (ctx: BackupsContext): Pick<BackupsService, 'list' | 'downloadFile' | 'restoreZip' | 'restoreToDirectory'> {
  const { live, engine } = ctx

  async function snapshotOf (s: Session, id: string, options: AbortOptions): Promise<Snapshot> {
    const e = await engine()
    return await e.findSnapshot(s.repo, id, {}, options)
  }

  async function restoreInto (snapshotId: string, path: string, makeSink: (e: typeof Engine, snap: Snapshot) => Engine.DirectorySink | Engine.ZipSink, run: (sink: Engine.DirectorySink | Engine.ZipSink, restoring: Promise<unknown>, total: number | undefined) => Promise<void>, options: ProgressOptions): Promise<{ files: number, bytes: number, skipped: string[] }> {
    const s = live()
    const e = await engine()
    const snap = await snapshotOf(s, snapshotId, options)
    // The size to restore, for the progress bar.
    let total: number | undefined
    try {
      const sub = e.splitPath(path)
      if (sub.length === 0) total = (await s.stats.totals(snap.tree, options)).bytes
      else {
        const n = await e.findNode(s.repo, snap.tree, sub, options)
        total = n.type === 'dir' && typeof n.subtree === 'string' ? (await s.stats.totals(n.subtree, options)).bytes : n.size ?? 0
      }
    } catch (err) {
      if (isAbortError(err)) throw err
      total = undefined // the restore itself reports what is wrong with the path
    }
    const meter = createMeter('Restoring')
    let bytes = 0
    let files = 0
    const sink = makeSink(e, snap)
    const pool = e.createResticPool({ signal: options.signal })
    const restoring = e.restore(s.repo, snap, sink, {
      path,
      pool,
      signal: options.signal,
      onProgress: (evt) => {
        if (evt.type === 'restic:restore:bytes') { bytes += evt.detail.bytes; options.onProgress?.({ ...meter.update(bytes, total), files: { done: files, total: undefined } }) }
        if (evt.type === 'restic:restore:file') files++
      }
    })
    try {
      await run(sink, restoring, total)
    } finally {
      pool.close()
    }
    return { files, bytes, skipped: sink.skipped }
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
      let zipName = ''
      return await restoreInto(snapshotId, path, (e, snap) => {
        const base = e.splitPath(path)
        zipName = `${base[base.length - 1] ?? `snapshot-${snap.id.slice(0, 8)}`}.zip`
        return new e.ZipSink(base[base.length - 1] ?? snap.id.slice(0, 8))
      }, async (sink, restoring, total) => {
        const e = await engine()
        const zip = sink as Engine.ZipSink
        // Refused names (nothing of them was written) still give a complete zip of everything
        // else; the error naming them is raised once the zip is saved. Other failures end the zip.
        let refused: unknown
        const done = restoring.then(() => { zip.end() }, (err: unknown) => {
          if (onlyRefusedNames(err)) { zip.end(); refused = err; return }
          zip.end(err)
          throw err
        })
        const stream = e.makeZip(zip.entries())
        const reader = stream.getReader()
        async function * pieces (): AsyncGenerator<Uint8Array> {
          while (true) {
            const { done: finished, value } = await reader.read()
            if (finished) return
            yield value
          }
        }
        await Promise.all([saveStream(zipName, pieces(), { ...(total !== undefined ? { size: total } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}) }), done])
        if (refused !== undefined) throw refused
      }, options)
    },

    async restoreToDirectory (snapshotId, path, dir, options = {}) {
      return await restoreInto(snapshotId, path, (e) => new e.DirectorySink(dir), async (_sink, restoring) => { await restoring }, options)
    }
  }
}
