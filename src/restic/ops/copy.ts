/**
 * `copy` (restic 0.14): copy snapshots from one repository to another, with the blobs they need
 * that the target lacks, sealed again under the target's key (and compressed as the target's
 * version says). A snapshot already copied (same `original`, or the same snapshot, with the same
 * time, tree, host, user, ids, paths, excludes and tags) is skipped. The copy records `original`
 * and drops `parent`. Order: blobs → index → snapshot, under a lock on each repository.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { BlobSaver } from '../repository/blob-saver.js'
import type { IndexProgressEvents, SaveProgressEvents } from '../repository/events.js'
import { lockRepository } from '../repository/lock.js'
import type { Repository } from '../repository/repository.js'
import type { Snapshot, SnapshotFile } from '../repofile/snapshot.js'
import { parseTime } from '../util/go-json.js'
import { findSnapshot, listSnapshots, saveSnapshot } from './snapshots.js'
import type { SnapshotFilter } from './snapshots.js'
import { parseTree } from '../repofile/tree.js'
import type { Tree } from '../repofile/tree.js'
import { DamagedFileError } from '../errors.js'

export type CopyProgressEvents =
  | IndexProgressEvents
  | SaveProgressEvents
  | ProgressEvent<'restic:copy:snapshot', { source: string, target: string }>
  | ProgressEvent<'restic:copy:skipped', { source: string, copy: string }>
  | ProgressEvent<'restic:copy:blob', { type: 'data' | 'tree', id: string, bytes: number }>

export interface CopyOptions extends OperationOptions<CopyProgressEvents> {
  /** Only the source snapshots matching this (host, tags, paths). */
  filter?: SnapshotFilter | undefined
  /** Only these source snapshots (IDs, prefixes, "latest"); default all that match the filter. */
  snapshots?: string[] | undefined
}

export interface CopyResult {
  /** source snapshot ID → new snapshot ID in the target. */
  copied: Array<{ source: string, target: string }>
  /** source snapshot ID → the target's snapshot it was already copied to. */
  skipped: Array<{ source: string, copy: string }>
  dataBlobs: number
  treeBlobs: number
  bytesAdded: number
}

/** restic's `similarSnapshots`: every field except parent and original is the same. */
export function similarSnapshots (a: SnapshotFile, b: SnapshotFile): boolean {
  const same = (x: string[] | undefined, y: string[] | undefined): boolean => (x ?? []).length === (y ?? []).length && (y ?? []).every(v => (x ?? []).includes(v))
  let timeEqual: boolean
  try { timeEqual = parseTime(a.time) === parseTime(b.time) } catch { timeEqual = a.time === b.time }
  return timeEqual && a.tree === b.tree && (a.hostname ?? '') === (b.hostname ?? '') && (a.username ?? '') === (b.username ?? '') &&
    (a.uid ?? 0) === (b.uid ?? 0) && (a.gid ?? 0) === (b.gid ?? 0) && same(a.paths, b.paths) && same(a.tags, b.tags) &&
    (a.excludes ?? []).length === (b.excludes ?? []).length && (a.excludes ?? []).every((e, i) => e === b.excludes?.[i])
}

export async function copy (src: Repository, dst: Repository, options: CopyOptions = {}): Promise<CopyResult> {
  const srcLock = await lockRepository(src, { exclusive: false }, options)
  try {
    const dstLock = await lockRepository(dst, { exclusive: false }, options)
    try {
      await src.loadIndex(options)
      await dst.loadIndex(options)
      const byOriginal = new Map<string, Snapshot[]>()
      const add = (k: string, s: Snapshot): void => { byOriginal.set(k, [...byOriginal.get(k) ?? [], s]) }
      for (const s of await listSnapshots(dst, options.filter, options)) {
        if (s.original !== undefined && s.original !== '') add(s.original, s)
        add(s.id, s) // a copy made by other means, with the same ID
      }
      const sources = options.snapshots === undefined || options.snapshots.length === 0
        ? await listSnapshots(src, options.filter, options)
        : await Promise.all(options.snapshots.map(async ref => await findSnapshot(src, ref, options.filter, options)))
      const result: CopyResult = { copied: [], skipped: [], dataBlobs: 0, treeBlobs: 0, bytesAdded: 0 }
      const visited = new Set<string>()
      for (const sn of sources) {
        options.signal?.throwIfAborted()
        const copyOf = (byOriginal.get(sn.original ?? sn.id) ?? []).find(c => similarSnapshots(c, sn))
        if (copyOf !== undefined) {
          result.skipped.push({ source: sn.id, copy: copyOf.id })
          emit(options, 'restic:copy:skipped', { source: sn.id, copy: copyOf.id })
          continue
        }
        const saver = new BlobSaver(dst)
        await copyTree(src, saver, sn.tree, visited, result, options)
        await saver.flush(options)
        await dstLock.check(options)
        const { id: _id, parent: _parent, ...fields } = sn
        const target = await saveSnapshot(dst, { ...fields, original: sn.original ?? sn.id }, options)
        result.copied.push({ source: sn.id, target })
        emit(options, 'restic:copy:snapshot', { source: sn.id, target })
      }
      return result
    } finally {
      await dstLock.release()
    }
  } finally {
    await srcLock.release()
  }
}

/** Every tree below `root` (each once per copy) and the data blobs they name that the target lacks. */
async function copyTree (src: Repository, saver: BlobSaver, root: string, visited: Set<string>, result: CopyResult, options: CopyOptions): Promise<void> {
  const stack = [root]
  while (stack.length > 0) {
    options.signal?.throwIfAborted()
    const id = stack.pop() as string
    if (visited.has(id)) continue
    visited.add(id)
    // The tree's own bytes (not re-encoded), so its ID stays the same.
    const raw = await src.loadBlob('tree', id, options)
    let tree: Tree
    try { tree = parseTree(raw) } catch (err) {
      throw new DamagedFileError(src.describe({ type: 'data', name: src.index.get('tree', id)?.packId ?? '?' }), `tree ${id.slice(0, 8)} does not decode (${(err as Error).message})`, { cause: err })
    }
    for (const node of tree.nodes) {
      if (node.type === 'dir' && node.subtree !== undefined && node.subtree !== null) stack.push(node.subtree)
      for (const blob of node.content ?? []) {
        if (saver.has('data', blob)) continue
        const plain = await src.loadBlob('data', blob, options)
        const res = await saver.save('data', plain, options, blob)
        if (res.added) { result.dataBlobs++; result.bytesAdded += res.stored }
        emit(options, 'restic:copy:blob', { type: 'data', id: blob, bytes: plain.length })
      }
    }
    if (!saver.has('tree', id)) {
      const res = await saver.save('tree', raw, options, id)
      if (res.added) { result.treeBlobs++; result.bytesAdded += res.stored }
      emit(options, 'restic:copy:blob', { type: 'tree', id, bytes: raw.length })
    }
  }
}
