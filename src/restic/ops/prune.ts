/**
 * `prune`: remove data no snapshot uses. Packs whose blobs are all used are kept, unused packs are
 * deleted, partly used packs are repacked. Order, as restic: write new packs, write the new index
 * (superseding all old ones), delete old index files, and only then delete packs.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { BlobNotFoundError } from '../errors.js'
import type { PackedBlob } from '../pack/header.js'
import type { BlobType } from '../repofile/index-file.js'
import { encodeIndexFile } from '../repofile/index-file.js'
import { BlobSaver } from '../repository/blob-saver.js'
import type { IndexProgressEvents, SaveProgressEvents } from '../repository/events.js'
import { lockRepository } from '../repository/lock.js'
import { packToIndexJSON } from '../repository/master-index.js'
import type { Repository } from '../repository/repository.js'
import { listSnapshots } from './snapshots.js'
import { loadTree } from './tree-walk.js'

export type PruneProgressEvents =
  | SaveProgressEvents
  | IndexProgressEvents
  | ProgressEvent<'restic:prune:plan', { keep: number, repack: number, remove: number, unreferenced: number }>

export interface PruneOptions extends OperationOptions<PruneProgressEvents> {
  dryRun?: boolean | undefined
  packSize?: number | undefined
}

export interface PruneResult {
  packsKept: number
  packsRepacked: number
  packsRemoved: number
  unreferencedRemoved: number
  blobsRepacked: number
  newPacks: number
  indexFiles: number
}

const MAX_INDEX_BLOBS = 50_000

export async function prune (repo: Repository, options: PruneOptions = {}): Promise<PruneResult> {
  const lock = await lockRepository(repo, { exclusive: true }, options)
  let rewriting = false
  try {
    await repo.loadIndex(options)
    const used = await usedBlobs(repo, options)
    const present = new Map((await repo.backend.list('data', options)).map(f => [f.name, f.size]))
    const key = (b: { type: BlobType, id: string }): string => `${b.type}/${b.id}`

    // Plan: keep fully used packs first, so duplicates elsewhere become removable.
    const packs = [...repo.index.packs].filter(([id]) => present.has(id))
    const covered = new Set<string>()
    const keep: Array<[string, PackedBlob[]]> = []
    const rest: Array<[string, PackedBlob[]]> = []
    for (const [id, blobs] of packs) {
      if (blobs.every(b => used.has(key(b))) && new Set(blobs.map(key)).size === blobs.length && !blobs.some(b => covered.has(key(b)))) {
        keep.push([id, blobs])
        for (const b of blobs) covered.add(key(b))
      } else rest.push([id, blobs])
    }
    const repack: Array<[string, PackedBlob[]]> = []
    const remove: string[] = []
    for (const [id, blobs] of rest) {
      const needed = blobs.filter(b => used.has(key(b)) && !covered.has(key(b)))
      if (needed.length === 0) { remove.push(id); continue }
      for (const b of needed) covered.add(key(b))
      repack.push([id, needed])
    }
    for (const k of used) if (!covered.has(k)) throw new BlobNotFoundError(`prune stopped: ${k} is used by a snapshot but is in no pack. Nothing was changed; run \`cairn restic check\`.`)
    const unreferenced = [...present.keys()].filter(id => !repo.index.packs.has(id))
    emit(options, 'restic:prune:plan', { keep: keep.length, repack: repack.length, remove: remove.length, unreferenced: unreferenced.length })
    const result: PruneResult = { packsKept: keep.length, packsRepacked: repack.length, packsRemoved: remove.length, unreferencedRemoved: unreferenced.length, blobsRepacked: 0, newPacks: 0, indexFiles: 0 }
    if (options.dryRun === true) return result
    rewriting = true

    // 1. Repack.
    const saver = new BlobSaver(repo, { packSize: options.packSize, ignoreIndex: true })
    try {
      for (const [packId, blobs] of repack) {
        const pack = await repo.backend.read({ type: 'data', name: packId }, undefined, options)
        for (const b of blobs) {
          options.signal?.throwIfAborted()
          const plain = await repo.decodeBlob(packId, b, pack.subarray(b.offset, b.offset + b.length))
          await saver.save(b.type, plain, options, b.id)
          result.blobsRepacked++
        }
      }
    } catch (err) {
      // A pack may be uploading in the background; nothing may write once the lock is released.
      await saver.settle()
      throw err
    }
    const fresh = await saver.flushPacks(options)
    result.newPacks = fresh.length

    // 2. New index covering kept and new packs, superseding every old index file.
    const old = [...repo.index.files.keys()]
    const all = [...keep.map(([id, blobs]) => ({ id, blobs })), ...fresh]
    let batch: typeof all = []
    let count = 0
    const flush = async (): Promise<void> => {
      if (batch.length === 0 && result.indexFiles > 0) return
      await repo.saveUnpacked('index', encodeIndexFile({ supersedes: old, packs: batch.map(p => packToIndexJSON(p.id, p.blobs)) }), options)
      result.indexFiles++
      batch = []
      count = 0
    }
    for (const p of all) {
      if (count + p.blobs.length > MAX_INDEX_BLOBS && batch.length > 0) await flush()
      batch.push(p)
      count += p.blobs.length
    }
    await flush()

    // 3. Delete old index files, then packs; only while the exclusive lock is still ours (a
    // backup may have started if it was removed, and could be using these packs).
    await lock.check(options)
    for (const id of old) await repo.backend.remove({ type: 'index', name: id }, options)
    for (const id of [...remove, ...repack.map(([id]) => id), ...unreferenced]) await repo.backend.remove({ type: 'data', name: id }, options)
    return result
  } finally {
    if (rewriting) {
      // Index files were rewritten and packs deleted: the merged index in memory lists packs that
      // are gone. Read the index as it is now (also after a failure half-way).
      repo.dropIndex()
      await repo.loadIndex({ signal: options.signal }).catch(() => { repo.dropIndex() })
    }
    await lock.release()
  }
}

/** Every blob reachable from any snapshot, as `type/id`. */
async function usedBlobs (repo: Repository, options: PruneOptions): Promise<Set<string>> {
  const used = new Set<string>()
  for (const s of await listSnapshots(repo, {}, options)) {
    const queue = [s.tree]
    while (queue.length > 0) {
      const id = queue.pop() as string
      if (used.has(`tree/${id}`)) continue
      used.add(`tree/${id}`)
      const tree = await loadTree(repo, id, options)
      for (const n of tree.nodes) {
        if (n.type === 'dir' && n.subtree !== undefined) queue.push(n.subtree)
        if (n.type === 'file') for (const b of n.content ?? []) used.add(`data/${b}`)
      }
    }
  }
  return used
}
