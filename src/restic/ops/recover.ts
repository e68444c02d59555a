/**
 * `recover` (restic 0.14): a new snapshot `/recover` (tag `recovered`) holding every tree that no
 * other tree and no snapshot references, each as a directory named by its short ID. Nothing is
 * written when there is none.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { isAbortError } from '../../core/errors.js'
import { BlobSaver } from '../repository/blob-saver.js'
import type { IndexProgressEvents, SaveProgressEvents } from '../repository/events.js'
import { lockRepository } from '../repository/lock.js'
import type { Repository } from '../repository/repository.js'
import type { Node } from '../repofile/tree.js'
import { encodeTree } from '../repofile/tree.js'
import { formatTime } from '../util/go-json.js'
import { listSnapshots, saveSnapshot } from './snapshots.js'
import { loadTree } from './tree-walk.js'

export type RecoverProgressEvents =
  | IndexProgressEvents
  | SaveProgressEvents
  | ProgressEvent<'restic:recover:unreadable', { tree: string, message: string }>
  | ProgressEvent<'restic:recover:root', { tree: string }>

export interface RecoverOptions extends OperationOptions<RecoverProgressEvents> {
  hostname?: string | undefined
  /** Snapshot time (default: now). */
  time?: Date | undefined
}

export interface RecoverResult {
  roots: string[]
  /** The new snapshot; undefined when no tree was unreferenced. */
  snapshotId: string | undefined
}

export async function recover (repo: Repository, options: RecoverOptions = {}): Promise<RecoverResult> {
  const lock = await lockRepository(repo, { exclusive: false }, options)
  try {
    await repo.loadIndex(options)
    // tree ID → referenced by another tree or a snapshot.
    const trees = new Map<string, boolean>()
    for (const blobs of repo.index.packs.values()) for (const b of blobs) if (b.type === 'tree' && !trees.has(b.id)) trees.set(b.id, false)
    for (const id of [...trees.keys()]) {
      options.signal?.throwIfAborted()
      try {
        for (const n of (await loadTree(repo, id, options)).nodes) if (n.type === 'dir' && typeof n.subtree === 'string') trees.set(n.subtree, true)
      } catch (err) {
        if (isAbortError(err)) throw err
        emit(options, 'restic:recover:unreadable', { tree: id, message: (err as Error).message })
      }
    }
    for (const s of await listSnapshots(repo, {}, options)) trees.set(s.tree, true)
    const roots = [...trees].filter(([, seen]) => !seen).map(([id]) => id)
    for (const tree of roots) emit(options, 'restic:recover:root', { tree })
    if (roots.length === 0) return { roots, snapshotId: undefined }
    const now = formatTime(BigInt((options.time ?? new Date()).getTime()) * 1_000_000n)
    // As restic: mode 0755 without Go's directory bit, times now, no owner.
    const nodes: Node[] = roots.map(id => ({ name: id.slice(0, 8), type: 'dir', mode: 0o755, mtime: now, atime: now, ctime: now, uid: 0, gid: 0, content: null, subtree: id }))
    const saver = new BlobSaver(repo)
    const tree = (await saver.save('tree', encodeTree(nodes), options)).id
    await saver.flush(options)
    await lock.check(options)
    const snapshotId = await saveSnapshot(repo, { time: now, tree, paths: ['/recover'], hostname: options.hostname, tags: ['recovered'] }, options)
    return { roots, snapshotId }
  } finally {
    await lock.release()
  }
}
