/**
 * Rewriting snapshots' trees: `rewrite --exclude` (restic 0.15) drops matching paths, `repair
 * snapshots` (0.16) drops the content a file lacks and replaces unreadable subtrees by empty ones.
 * A changed snapshot is saved anew (`original` set to the old ID, tag `rewrite`/`repaired` unless
 * `forget`); with `forget` the old one is removed. Unchanged trees keep their IDs.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { isAbortError } from '../../core/errors.js'
import { BlobSaver } from '../repository/blob-saver.js'
import type { IndexProgressEvents, SaveProgressEvents } from '../repository/events.js'
import { lockRepository } from '../repository/lock.js'
import type { Repository } from '../repository/repository.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Node } from '../repofile/tree.js'
import { encodeTree } from '../repofile/tree.js'
import { OVERHEAD } from '../crypto/key.js'
import { findSnapshot, listSnapshots, saveSnapshot } from './snapshots.js'
import type { SnapshotFilter } from './snapshots.js'
import { loadTree } from './tree-walk.js'

export type RewriteProgressEvents =
  | IndexProgressEvents
  | SaveProgressEvents
  | ProgressEvent<'restic:rewrite:node', { snapshot: string, path: string, what: 'excluded' | 'content-removed' | 'size-fixed' | 'dir-emptied' | 'root-unreadable' }>
  | ProgressEvent<'restic:rewrite:snapshot', { snapshot: string, saved: string | undefined, removed: boolean }>

export interface RewriteOptions extends OperationOptions<RewriteProgressEvents> {
  filter?: SnapshotFilter | undefined
  /** Only these snapshots (IDs, prefixes, "latest"); default all that match the filter. */
  snapshots?: string[] | undefined
  /** Remove the old snapshot instead of tagging the new one. */
  forget?: boolean | undefined
  /** Say what would change; write nothing. */
  dryRun?: boolean | undefined
}

export interface RewriteResult {
  /** Snapshots changed (or, in a dry run, that would change): old ID → new ID (undefined: removed as empty). */
  changed: Array<{ old: string, new: string | undefined }>
  unchanged: number
}

interface Rules {
  /** The node to keep (possibly changed), or null to drop it. */
  node: (node: Node, path: string) => Node | null
  /** A subtree that does not load: the ID to use instead, or null to drop the whole snapshot (root only). */
  failedTree?: ((path: string) => 'empty' | 'drop') | undefined
}

/** `rewrite --exclude`: drop every path `excluded` says (absolute snapshot paths, "/home/a"). */
export async function rewriteExclude (repo: Repository, excluded: (path: string) => boolean, options: RewriteOptions = {}): Promise<RewriteResult> {
  return await rewriteSnapshots(repo, 'rewrite', {
    node: (node, path) => {
      if (!excluded(path)) return node
      emit(options, 'restic:rewrite:node', { snapshot: '', path, what: 'excluded' })
      return null
    }
  }, options)
}

/** `repair snapshots`: files keep only the blobs the index has (size fixed); unreadable directories become empty. */
export async function repairSnapshots (repo: Repository, options: RewriteOptions = {}): Promise<RewriteResult> {
  return await rewriteSnapshots(repo, 'repaired', {
    node: (node, path) => {
      if (node.type !== 'file') return node
      const content: string[] = []
      let size = 0
      let missing = false
      for (const id of node.content ?? []) {
        const loc = repo.index.get('data', id)
        if (loc === undefined) { missing = true; continue }
        content.push(id)
        size += loc.uncompressedLength ?? loc.length - OVERHEAD
      }
      if (!missing && size === (node.size ?? 0)) return node
      emit(options, 'restic:rewrite:node', { snapshot: '', path, what: missing ? 'content-removed' : 'size-fixed' })
      return { ...node, content, size }
    },
    failedTree: (path) => {
      emit(options, 'restic:rewrite:node', { snapshot: '', path, what: path === '/' ? 'root-unreadable' : 'dir-emptied' })
      return path === '/' ? 'drop' : 'empty'
    }
  }, options)
}

async function rewriteSnapshots (repo: Repository, tag: string, rules: Rules, options: RewriteOptions): Promise<RewriteResult> {
  const dryRun = options.dryRun === true
  const lock = dryRun ? undefined : await lockRepository(repo, { exclusive: true }, options)
  try {
    await repo.loadIndex(options)
    const snaps: Snapshot[] = options.snapshots === undefined || options.snapshots.length === 0
      ? await listSnapshots(repo, options.filter, options)
      : await Promise.all(options.snapshots.map(async ref => await findSnapshot(repo, ref, options.filter, options)))
    const result: RewriteResult = { changed: [], unchanged: 0 }
    const saver = new BlobSaver(repo, { dryRun })
    for (const sn of snaps) {
      options.signal?.throwIfAborted()
      const tree = await rewriteTree(repo, saver, sn.tree, '/', rules, options)
      await saver.flush(options)
      if (tree === sn.tree) { result.unchanged++; continue }
      if (dryRun) { result.changed.push({ old: sn.id, new: undefined }); continue }
      await lock?.check(options)
      let saved: string | undefined
      if (tree !== null) {
        const { id: _id, ...fields } = sn
        const tags = options.forget === true || (sn.tags ?? []).includes(tag) ? sn.tags : [...sn.tags ?? [], tag]
        saved = await saveSnapshot(repo, { ...fields, tree, original: sn.id, tags }, options)
      }
      const removed = tree === null || options.forget === true
      if (removed) await repo.backend.remove({ type: 'snapshots', name: sn.id }, options)
      result.changed.push({ old: sn.id, new: saved })
      emit(options, 'restic:rewrite:snapshot', { snapshot: sn.id, saved, removed })
    }
    return result
  } finally {
    await lock?.release()
  }
}

/** The rewritten tree's ID (the same ID when nothing changed), or null to drop the snapshot. */
async function rewriteTree (repo: Repository, saver: BlobSaver, id: string, path: string, rules: Rules, options: RewriteOptions): Promise<string | null> {
  let nodes: Node[]
  try {
    nodes = (await loadTree(repo, id, options)).nodes
  } catch (err) {
    if (isAbortError(err) || rules.failedTree === undefined) throw err
    if (rules.failedTree(path) === 'drop') return null
    return (await saver.save('tree', encodeTree([]), options)).id
  }
  let changed = false
  const out: Node[] = []
  for (const n of nodes) {
    const p = path === '/' ? `/${n.name}` : `${path}/${n.name}`
    const kept = rules.node(n, p)
    if (kept === null) { changed = true; continue }
    if (kept !== n) changed = true
    if (kept.type === 'dir' && typeof kept.subtree === 'string') {
      const sub = await rewriteTree(repo, saver, kept.subtree, p, rules, options)
      if (sub !== kept.subtree) { changed = true; out.push({ ...kept, subtree: sub ?? undefined }); continue }
    }
    out.push(kept)
  }
  if (!changed) return id
  return (await saver.save('tree', encodeTree(out), options)).id
}
