/**
 * `find`: nodes whose path matches one of restic's patterns (a pattern without a leading "/"
 * matches the end of the path; `*`, `?`, `[…]` within a segment, `**` across segments), or the
 * places a blob or tree ID (or the blobs of a pack) is used. Follows restic 0.14's walk, including
 * its skipping of subtrees already searched without a hit, shared across snapshots.
 */
import type { OperationOptions } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Node } from '../repofile/tree.js'
import type { Repository } from '../repository/repository.js'
import { parseTime } from '../util/go-json.js'
import { filterChildMatch, filterMatch } from '../util/go-path.js'
import { pump, resticWalk } from './walker.js'

export interface FindMatch { kind: 'node', snapshot: Snapshot, path: string, node: Node }
export interface FindObject { kind: 'blob' | 'tree', snapshot: Snapshot, id: string, path: string, parentTree?: string | undefined }

export type FindProgressEvents = { type: 'restic:find:snapshot', detail: { id: string } }

export interface FindOptions extends OperationOptions<FindProgressEvents> {
  ignoreCase?: boolean | undefined
  /** Only nodes modified at or after / at or before these times (nanoseconds since the epoch). */
  oldest?: bigint | undefined
  newest?: bigint | undefined
}

/** Nodes matching any of `patterns`, snapshot by snapshot, in walk order. */
export async function * findNodes (repo: Repository, snapshots: Iterable<Snapshot> | AsyncIterable<Snapshot>, patterns: string[], options: FindOptions = {}): AsyncGenerator<FindMatch> {
  if (patterns.length === 0) throw new InvalidInputError('find needs at least one pattern.')
  const pats = options.ignoreCase === true ? patterns.map(p => p.toLowerCase()) : patterns
  for (const p of pats) filterMatch(p, '/') // a malformed pattern fails before any output
  await repo.loadIndex({ signal: options.signal })
  const ignoreTrees = new Set<string>()
  for await (const snapshot of snapshots) {
    emit(options, 'restic:find:snapshot', { id: snapshot.id })
    yield * pump<FindMatch>(async push => await resticWalk(repo, snapshot.tree, ignoreTrees, async (_parent, path, node) => {
      if (node === undefined) return { ignore: false }
      const p = options.ignoreCase === true ? path.toLowerCase() : path
      const match = pats.some(pat => filterMatch(pat, p))
      let noMatch = { ignore: true, skip: false }
      if (node.type === 'dir') noMatch = pats.some(pat => filterChildMatch(pat, p)) ? { ignore: false, skip: false } : { ignore: true, skip: true }
      if (!match) return noMatch
      const mtime = parseTime(node.mtime)
      if (options.oldest !== undefined && mtime < options.oldest) return noMatch
      if (options.newest !== undefined && mtime > options.newest) return noMatch
      await push({ kind: 'node', snapshot, path, node })
      return { ignore: false }
    }, options))
  }
}

export interface FindIdsOptions extends OperationOptions<FindProgressEvents> {
  /** Blob IDs (full or 8-digit short) to look for in files' contents. */
  blobs?: string[] | undefined
  /** Tree IDs (full or short) to look for as folders. */
  trees?: string[] | undefined
}

/** Where the given blobs and trees are used, snapshot by snapshot (restic's `find --blob/--tree`). */
export async function * findIds (repo: Repository, snapshots: Iterable<Snapshot> | AsyncIterable<Snapshot>, options: FindIdsOptions): AsyncGenerator<FindObject> {
  const blobIds = options.blobs === undefined ? undefined : new Set(options.blobs)
  const treeIds = options.trees === undefined ? undefined : new Set(options.trees)
  await repo.loadIndex({ signal: options.signal })
  const ignoreTrees = new Set<string>()
  let itemsFound = 0
  for await (const snapshot of snapshots) {
    emit(options, 'restic:find:snapshot', { id: snapshot.id })
    const walk = pump<FindObject>(async push => await resticWalk(repo, snapshot.tree, ignoreTrees, async (parent, path, node) => {
      if (node === undefined) return { ignore: false }
      if (node.type === 'dir' && treeIds !== undefined && node.subtree !== undefined) {
        const id = node.subtree
        if (treeIds.has(id.slice(0, 8)) || treeIds.has(id)) {
          await push({ kind: 'tree', snapshot, id, path })
          itemsFound++
          // restic stops this snapshot's walk once every tree was found (and no blobs are sought)
          if (itemsFound >= treeIds.size && blobIds === undefined) throw new StopWalk()
        }
      }
      if (node.type === 'file' && blobIds !== undefined) {
        for (const id of node.content ?? []) {
          if (!blobIds.has(id)) {
            if (!blobIds.has(id.slice(0, 8))) continue
            blobIds.add(id)
            blobIds.delete(id.slice(0, 8))
          }
          await push({ kind: 'blob', snapshot, id, path, parentTree: parent })
        }
      }
      return { ignore: false }
    }, options))
    try {
      yield * walk
    } catch (err) {
      if (!(err instanceof StopWalk)) throw err
    }
  }
}

class StopWalk extends Error {}

/** The blob IDs in the given packs (full or short IDs), from the index; unknown packs are an error. */
export async function packBlobs (repo: Repository, packs: string[], options: OperationOptions = {}): Promise<string[]> {
  await repo.loadIndex({ signal: options.signal })
  const wanted = new Set(packs)
  const out: string[] = []
  for (const [packId, blobs] of repo.index.packs) {
    const key = wanted.has(packId) ? packId : wanted.has(packId.slice(0, 8)) ? packId.slice(0, 8) : undefined
    if (key === undefined) continue
    wanted.delete(key)
    for (const b of blobs) out.push(b.id)
  }
  if (wanted.size > 0) throw new InvalidInputError(`unable to find pack(s): ${[...wanted].sort().join(' ')}. Pack IDs are the names of files in data/; see \`cairn restic check\`.`)
  return out
}
