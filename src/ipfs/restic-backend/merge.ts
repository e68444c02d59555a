/**
 * Three-way merge of repository roots, for publishing without losing another device's writes.
 *
 * A restic repository is append-mostly: every file under keys/, locks/, snapshots/, index/ and
 * data/xx/ is named by its content. So two roots written from one base merge per directory, by
 * file name: result = theirs + (ours − base) − (base − ours). Root files (`cairn-ipns-key`)
 * merge the same way by name and CID; `config` must be the same on both sides, or they are two
 * different repositories and the merge is refused.
 *
 * Only directories that differ between base and ours are listed: every other directory is taken
 * from theirs as it is. Only directory blocks are read and written; no file (pack) is fetched.
 */
import { emit } from '../../core/options.js'
import { RepoConfigConflictError } from './errors.js'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { UnixFS } from '@helia/unixfs'
import type { CID } from 'multiformats/cid'
import type { ImporterOptions } from 'ipfs-unixfs-importer'

/** One side's entry: its CID, and whether it is a directory. */
export interface MergeEntry { cid: CID, dir: boolean }

export interface EntryChanges {
  /** Entries to set in theirs (ours added or changed them; theirs did not). */
  set: Map<string, MergeEntry>
  /** Names to remove from theirs (ours removed them; theirs did not change them). */
  remove: string[]
  /** Directories changed on both sides: merge them one level down. */
  recurse: string[]
}

function same (a: MergeEntry | undefined, b: MergeEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.dir === b.dir && a.cid.equals(b.cid)
}

/**
 * The pure three-way rule over one directory's entries, as changes to apply to `theirs`:
 * for each name, when ours left it as in base, theirs decides; when theirs left it as in base,
 * ours decides (a set or a removal); when both changed it, a directory on both sides is merged
 * deeper, else theirs is kept, unless theirs removed what ours changed (never lose a write).
 */
export function mergeEntries (base: ReadonlyMap<string, MergeEntry>, ours: ReadonlyMap<string, MergeEntry>, theirs: ReadonlyMap<string, MergeEntry>): EntryChanges {
  const out: EntryChanges = { set: new Map(), remove: [], recurse: [] }
  const names = new Set([...base.keys(), ...ours.keys()])
  for (const name of [...names].sort()) {
    const b = base.get(name)
    const o = ours.get(name)
    const t = theirs.get(name)
    if (same(o, b) || same(o, t)) continue
    if (same(t, b)) {
      if (o === undefined) out.remove.push(name)
      else out.set.set(name, o)
      continue
    }
    if (o !== undefined && t !== undefined && o.dir && t.dir) out.recurse.push(name)
    else if (o !== undefined && t === undefined) out.set.set(name, o)
  }
  return out
}

export type MergeEvents =
  | ProgressEvent<'restic-ipfs:publish:merged', { base: CID | undefined, ours: CID, theirs: CID, root: CID, added: number, removed: number }>

export interface MergeRootsInit {
  fs: UnixFS
  shard: Pick<ImporterOptions, 'shardSplitThresholdBytes' | 'shardSplitStrategy' | 'shardFanoutBits'>
  /** Reads a small root file (config) to compare two CIDs of the same bytes. */
  readSmall: (cid: CID, options: AbortOptions) => Promise<Uint8Array>
  location: string
}

export interface MergeResult { root: CID, added: number, removed: number }

const REPO_DIRS = new Set(['keys', 'locks', 'snapshots', 'index', 'data'])

/** Directories of restic's layout (the root's folders and data/xx); everything else is a file. */
export function isRepoDir (path: string, name: string): boolean {
  return path === '' ? REPO_DIRS.has(name) : path === 'data'
}

async function entries (fs: UnixFS, path: string, dir: CID | undefined, options: AbortOptions): Promise<Map<string, MergeEntry>> {
  const out = new Map<string, MergeEntry>()
  if (dir === undefined) return out
  for await (const e of fs.ls(dir, { signal: options.signal })) out.set(e.name, { cid: e.cid, dir: isRepoDir(path, e.name) })
  return out
}

/** Merges directory `path` of the three roots; returns the merged directory's CID. */
async function mergeDir (init: MergeRootsInit, path: string, base: CID | undefined, ours: CID, theirs: CID | undefined, counts: { added: number, removed: number }, options: AbortOptions): Promise<CID> {
  const { fs, shard } = init
  if (base !== undefined && ours.equals(base)) return theirs ?? ours
  if (theirs === undefined) theirs = await fs.addDirectory({}, { cidVersion: 1, signal: options.signal })
  if (ours.equals(theirs)) return theirs
  const [b, o, t] = await Promise.all([entries(fs, path, base, options), entries(fs, path, ours, options), entries(fs, path, theirs, options)])
  if (path === '') await checkConfig(init, o.get('config'), t.get('config'), options)
  const changes = mergeEntries(b, o, t)
  let dir: CID = theirs
  for (const name of changes.recurse) {
    const child = await mergeDir(init, path === '' ? name : `${path}/${name}`, b.get(name)?.cid, o.get(name)?.cid as CID, t.get(name)?.cid, counts, options)
    dir = await fs.cp(child, dir, name, { ...shard, force: true, signal: options.signal })
  }
  for (const [name, e] of changes.set) {
    dir = await fs.cp(e.cid, dir, name, { ...shard, force: true, signal: options.signal })
    counts.added++
  }
  for (const name of changes.remove) {
    dir = await fs.rm(dir, name, { ...shard, signal: options.signal })
    counts.removed++
  }
  return dir
}

async function checkConfig (init: MergeRootsInit, ours: MergeEntry | undefined, theirs: MergeEntry | undefined, options: AbortOptions): Promise<void> {
  if (ours === undefined || theirs === undefined || ours.cid.equals(theirs.cid)) return
  const [a, b] = await Promise.all([init.readSmall(ours.cid, options), init.readSmall(theirs.cid, options)])
  if (a.length === b.length && a.every((x, i) => x === b[i])) return
  throw new RepoConfigConflictError(`The name of ${init.location} now points at a root with another config file: it holds a different restic repository, so this device's changes were not merged into it and nothing was published. Export this device's root (it stays pinned) and check which repository the name should hold.`)
}

/**
 * Merges `ours` and `theirs`, both derived from `base` (undefined for a repository created on
 * both sides), into a new root whose blocks are all stored locally.
 */
export async function mergeRoots (init: MergeRootsInit, roots: { base: CID | undefined, ours: CID, theirs: CID }, options: OperationOptions<MergeEvents> = {}): Promise<MergeResult> {
  const counts = { added: 0, removed: 0 }
  const root = await mergeDir(init, '', roots.base, roots.ours, roots.theirs, counts, options)
  emit(options, 'restic-ipfs:publish:merged', { ...roots, root, ...counts })
  return { root, ...counts }
}
