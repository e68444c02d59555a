/**
 * `diff`: what changed from one snapshot to another, as restic 0.14's `diff` reports it: one
 * change per path (`+` added, `-` removed, `M` content modified, `T` type changed, `U` metadata
 * updated with `metadata`), then the statistics (files, dirs, others, and the blobs and bytes only
 * one side holds). Changes are yielded as they are found, so memory holds two trees per level.
 */
import type { OperationOptions } from '../../core/options.js'
import { emit } from '../../core/options.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Node } from '../repofile/tree.js'
import type { Repository } from '../repository/repository.js'
import { OVERHEAD } from '../crypto/key.js'
import { compareBytes } from '../util/bytes.js'
import { parseTime } from '../util/go-json.js'
import { joinPath } from '../util/go-path.js'
import { loadTree } from './tree-walk.js'
import { nameKey } from './walker.js'

/** One line of restic's `diff --json`. */
export interface DiffChange { message_type: 'change', path: string, modifier: string }

export interface DiffStat { files: number, dirs: number, others: number, data_blobs: number, tree_blobs: number, bytes: number }

/** The last line of restic's `diff --json`. */
export interface DiffStatistics {
  message_type: 'statistics'
  source_snapshot: string
  target_snapshot: string
  changed_files: number
  added: DiffStat
  removed: DiffStat
}

export type DiffProgressEvents = { type: 'restic:diff:tree', detail: { path: string } }

export interface DiffOptions extends OperationOptions<DiffProgressEvents> {
  /** Report metadata changes (`U`), restic's `--metadata`. */
  metadata?: boolean | undefined
  /** The snapshot names as given (restic prints them, not the IDs, in the statistics). */
  names?: [string, string] | undefined
}

const emptyStat = (): DiffStat => ({ files: 0, dirs: 0, others: 0, data_blobs: 0, tree_blobs: 0, bytes: 0 })

function addNode (s: DiffStat, n: Node): void {
  if (n.type === 'file') s.files++
  else if (n.type === 'dir') s.dirs++
  else s.others++
}

/** Blob handles as "d:<id>" and "t:<id>". */
function addBlobs (set: Set<string>, n: Node | undefined): void {
  if (n === undefined) return
  if (n.type === 'file') for (const id of n.content ?? []) set.add('d:' + id)
  else if (n.type === 'dir' && n.subtree !== undefined && n.subtree !== null) set.add('t:' + n.subtree)
}

const sameTime = (a: string, b: string): boolean => parseTime(a) === parseTime(b)

/** restic 0.14's `Node.Equals` (the fields it compares; no linktarget_raw). */
export function nodesEqual (a: Node, b: Node): boolean {
  const num = (x: number | undefined): number => x ?? 0
  const str = (x: string | undefined): string => x ?? ''
  if (a.name !== b.name || a.type !== b.type || num(a.mode) !== num(b.mode)) return false
  if (!sameTime(a.mtime, b.mtime) || !sameTime(a.atime, b.atime) || !sameTime(a.ctime, b.ctime)) return false
  if (a.uid !== b.uid || a.gid !== b.gid || str(a.user) !== str(b.user) || str(a.group) !== str(b.group)) return false
  if (num(a.inode) !== num(b.inode) || num(a.device_id) !== num(b.device_id) || num(a.size) !== num(b.size) || num(a.links) !== num(b.links)) return false
  if (str(a.linktarget) !== str(b.linktarget) || num(a.device) !== num(b.device)) return false
  if ((a.content === null) !== (b.content === null)) return false
  if (a.content !== null && b.content !== null && (a.content.length !== b.content.length || a.content.some((id, i) => id !== b.content?.[i]))) return false
  const xa = a.extended_attributes ?? []
  const xb = b.extended_attributes ?? []
  if (xa.length !== xb.length) return false
  const m = new Map(xa.map(x => [x.name, x.value]))
  if (xb.some(x => m.get(x.name) !== x.value) || new Set(xb.map(x => x.name)).size !== m.size) return false
  return str(a.subtree) === str(b.subtree) && str(a.error) === str(b.error)
}

function sameContent (a: Node, b: Node): boolean {
  if (a.content === null || b.content === null) return a.content === b.content
  return a.content.length === b.content.length && a.content.every((id, i) => id === b.content?.[i])
}

interface State {
  repo: Repository
  options: DiffOptions
  stats: DiffStatistics
  before: Set<string>
  after: Set<string>
  common: Set<string>
}

/** Every node below `treeId`, each one a change of `modifier`. */
async function * printDir (st: State, modifier: string, stat: DiffStat, blobs: Set<string>, prefix: string, treeId: string): AsyncGenerator<DiffChange> {
  const tree = await loadTree(st.repo, treeId, st.options)
  for (const node of tree.nodes) {
    let name = joinPath(prefix, node.name)
    if (node.type === 'dir') name += '/'
    yield { message_type: 'change', path: name, modifier }
    addNode(stat, node)
    addBlobs(blobs, node)
    if (node.type === 'dir' && node.subtree !== undefined && node.subtree !== null) yield * printDir(st, modifier, stat, blobs, name, node.subtree)
  }
}

async function collectDir (st: State, blobs: Set<string>, treeId: string): Promise<void> {
  const tree = await loadTree(st.repo, treeId, st.options)
  for (const node of tree.nodes) {
    addBlobs(blobs, node)
    if (node.type === 'dir' && node.subtree !== undefined && node.subtree !== null) await collectDir(st, blobs, node.subtree)
  }
}

async function * diffTree (st: State, prefix: string, id1: string, id2: string): AsyncGenerator<DiffChange> {
  st.options.signal?.throwIfAborted()
  emit(st.options, 'restic:diff:tree', { path: prefix })
  const [t1, t2] = await Promise.all([loadTree(st.repo, id1, st.options), loadTree(st.repo, id2, st.options)])
  const m1 = new Map(t1.nodes.map(n => [n.name, n]))
  const m2 = new Map(t2.nodes.map(n => [n.name, n]))
  const names = [...new Map([...t1.nodes, ...t2.nodes].map(n => [n.name, n])).values()]
    .sort((a, b) => compareBytes(nameKey(a), nameKey(b))).map(n => n.name)
  for (const name of names) {
    const n1 = m1.get(name)
    const n2 = m2.get(name)
    addBlobs(st.before, n1)
    addBlobs(st.after, n2)
    if (n1 !== undefined && n2 !== undefined) {
      let path = joinPath(prefix, name)
      let mod = ''
      if (n1.type !== n2.type) mod += 'T'
      if (n2.type === 'dir') path += '/'
      if (n1.type === 'file' && n2.type === 'file' && !sameContent(n1, n2)) {
        mod += 'M'
        st.stats.changed_files++
      } else if (st.options.metadata === true && !nodesEqual(n1, n2)) {
        mod += 'U'
      }
      if (mod !== '') yield { message_type: 'change', path, modifier: mod }
      if (n1.type === 'dir' && n2.type === 'dir' && n1.subtree !== undefined && n2.subtree !== undefined) {
        if (n1.subtree === n2.subtree) await collectDir(st, st.common, n1.subtree)
        else yield * diffTree(st, path, n1.subtree, n2.subtree)
      }
    } else {
      const node = (n1 ?? n2) as Node
      const [mod, stat, blobs] = n1 !== undefined ? ['-', st.stats.removed, st.before] as const : ['+', st.stats.added, st.after] as const
      let path = joinPath(prefix, name)
      if (node.type === 'dir') path += '/'
      yield { message_type: 'change', path, modifier: mod }
      addNode(stat, node)
      if (node.type === 'dir' && node.subtree !== undefined && node.subtree !== null) yield * printDir(st, mod, stat, blobs, path, node.subtree)
    }
  }
}

function countBlobs (repo: Repository, blobs: Iterable<string>, stat: DiffStat): void {
  for (const h of blobs) {
    const type = h.startsWith('d:') ? 'data' : 'tree'
    if (type === 'data') stat.data_blobs++
    else stat.tree_blobs++
    const loc = repo.index.get(type, h.slice(2))
    // restic counts the plaintext size (the index's uncompressed length, or length minus overhead)
    if (loc !== undefined) stat.bytes += loc.uncompressedLength ?? loc.length - OVERHEAD
  }
}

/**
 * The changes from `from` to `to`, in restic's order, then the statistics as the last message.
 * Loads the index first.
 */
export async function * diff (repo: Repository, from: Snapshot, to: Snapshot, options: DiffOptions = {}): AsyncGenerator<DiffChange | DiffStatistics> {
  await repo.loadIndex({ signal: options.signal })
  const st: State = {
    repo,
    options,
    stats: {
      message_type: 'statistics',
      source_snapshot: options.names?.[0] ?? from.id,
      target_snapshot: options.names?.[1] ?? to.id,
      changed_files: 0,
      added: emptyStat(),
      removed: emptyStat()
    },
    before: new Set(['t:' + from.tree]),
    after: new Set(['t:' + to.tree]),
    common: new Set()
  }
  yield * diffTree(st, '/', from.tree, to.tree)
  const both = new Set([...st.before].filter(h => st.after.has(h)))
  countBlobs(repo, [...st.before].filter(h => !both.has(h) && !st.common.has(h)), st.stats.removed)
  countBlobs(repo, [...st.after].filter(h => !both.has(h) && !st.common.has(h)), st.stats.added)
  yield st.stats
}
