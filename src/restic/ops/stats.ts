/**
 * `stats`: restic 0.14's four counting modes over some snapshots.
 *
 * - `restore-size`: every node (folders included, as restic counts them) and the size a restore
 *   writes (hard links once per snapshot).
 * - `files-by-contents`: nodes unique by their content blobs (all nodes without content share one).
 * - `blobs-per-file`: the plaintext size of each blob once per file path, for files of unique content.
 * - `raw-data`: the blobs the snapshots use (trees too), at their stored (packed) size.
 */
import type { AbortOptions, OperationOptions } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import { OVERHEAD } from '../crypto/key.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Repository } from '../repository/repository.js'
import { BlobNotFoundError } from '../errors.js'
import { loadTree } from './tree-walk.js'
import { resticWalk } from './walker.js'

export const STATS_MODES = ['restore-size', 'files-by-contents', 'raw-data', 'blobs-per-file'] as const
export type StatsMode = typeof STATS_MODES[number]

/** restic's `stats --json`, field for field (`total_blob_count` only when non-zero). */
export interface StatsResult {
  total_size: number
  total_file_count: number
  total_blob_count?: number
  snapshots_count: number
}

export type StatsProgressEvents = { type: 'restic:stats:snapshot', detail: { id: string, done: number } }

export interface StatsOptions extends OperationOptions<StatsProgressEvents> {
  mode?: StatsMode | undefined
}

export function parseStatsMode (mode: string): StatsMode {
  if ((STATS_MODES as readonly string[]).includes(mode)) return mode as StatsMode
  throw new InvalidInputError(`unknown counting mode: ${mode}; use one of ${STATS_MODES.join(', ')}.`)
}

/** Walks each snapshot in turn; loads the index first. */
export async function stats (repo: Repository, snapshots: Iterable<Snapshot> | AsyncIterable<Snapshot>, options: StatsOptions = {}): Promise<StatsResult> {
  const mode = options.mode ?? 'restore-size'
  await repo.loadIndex({ signal: options.signal })
  let totalSize = 0
  let fileCount = 0
  let blobCount = 0
  let count = 0
  const uniqueFiles = new Set<string>()
  const fileBlobs = new Map<string, Set<string>>()
  const blobs = new Set<string>()

  const dataSize = (id: string, tree: string): number => {
    const loc = repo.index.get('data', id)
    if (loc === undefined) throw new BlobNotFoundError(`blob ${id} not found for tree ${tree}. The repository is incomplete; run \`cairn restic check\`.`)
    return loc.uncompressedLength ?? loc.length - OVERHEAD
  }

  for await (const snap of snapshots) {
    options.signal?.throwIfAborted()
    count++
    if (mode === 'raw-data') {
      await usedBlobs(repo, snap.tree, blobs, options)
    } else {
      const inodes = new Set<number>()
      await resticWalk(repo, snap.tree, new Set(), (parent, path, node) => {
        if (node === undefined) return { ignore: true }
        if (mode === 'restore-size') {
          fileCount++
          const inode = node.inode ?? 0
          if (!inodes.has(inode) || inode === 0) {
            inodes.add(inode)
            totalSize += node.size ?? 0
          }
          return { ignore: false }
        }
        const fid = (node.content ?? []).join('')
        if (!uniqueFiles.has(fid)) {
          uniqueFiles.add(fid)
          if (mode === 'files-by-contents') {
            totalSize += node.size ?? 0
            fileCount++
          } else {
            for (const id of node.content ?? []) {
              let seen = fileBlobs.get(path)
              if (seen === undefined) { seen = new Set(); fileBlobs.set(path, seen); fileCount++ }
              if (!seen.has(id)) {
                totalSize += dataSize(id, parent)
                seen.add(id)
                blobCount++
              }
            }
          }
        }
        return { ignore: true }
      }, options)
    }
    emit(options, 'restic:stats:snapshot', { id: snap.id, done: count })
  }
  if (mode === 'raw-data') {
    for (const h of blobs) {
      const loc = repo.index.get(h.startsWith('t:') ? 'tree' : 'data', h.slice(2))
      if (loc === undefined) throw new BlobNotFoundError(`blob ${h.slice(2)} not found in the index. The repository is incomplete; run \`cairn restic check\`.`)
      totalSize += loc.length
      blobCount++
    }
  }
  return { total_size: totalSize, total_file_count: fileCount, ...(blobCount > 0 ? { total_blob_count: blobCount } : {}), snapshots_count: count }
}

/** restic's `FindUsedBlobs`: every tree and data blob below `tree`, each tree visited once. */
async function usedBlobs (repo: Repository, tree: string, out: Set<string>, options: AbortOptions): Promise<void> {
  const pending = [tree]
  while (pending.length > 0) {
    const id = pending.pop() as string
    if (out.has('t:' + id)) continue
    out.add('t:' + id)
    const t = await loadTree(repo, id, options)
    for (const n of t.nodes) {
      if (n.type === 'file') for (const b of n.content ?? []) out.add('d:' + b)
      else if (n.type === 'dir' && n.subtree !== undefined && n.subtree !== null) pending.push(n.subtree)
    }
  }
}
