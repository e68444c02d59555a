/**
 * Unpin and garbage collection in batches (see `idb-stores.ts`): the cost follows the blocks
 * that change, with thousands of reads or deletes per transaction instead of one each.
 *
 * Garbage collection computes the mark set once (every `/pinned-block/` key, one read), lists the
 * blocks once (keys only), and deletes those without a mark in batches. Before each batch is
 * deleted its marks are read again, so a block pinned since the mark set was taken is kept; the
 * caller also holds off adds (the shared lock) and, in the app, pin writers (the `pins` Web Lock).
 */
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import * as dagPb from '@ipld/dag-pb'
import { PINNED_BLOCK_PREFIX, pinKey, pinnedBlockKey, pinnedBlockKeyOf, releaseWrites } from './pin-records.js'
import type { BatchStores, BlockBatchStore } from './idb-stores.js'

/** Blocks read or deleted per transaction. */
export const BATCH = 4096

export interface BatchedGcOptions {
  signal?: AbortSignal | undefined
  /** Called for each block deleted, with its size. */
  onDeleted?: ((cid: CID, bytes: number) => void) | undefined
}

/**
 * Every block of a dag-pb / raw DAG, each once, keyed by `pinnedBlockKey`, reading only dag-pb
 * blocks, a whole level of the DAG per batch of reads. Undefined for another codec (the caller
 * then uses Helia's walk). A block missing from the store is listed but not descended into.
 */
export async function dagBlocksBatched (blocks: BlockBatchStore, root: CID, signal?: AbortSignal): Promise<Map<string, CID> | undefined> {
  const seen = new Map<string, CID>([[pinnedBlockKey(root), root]])
  let level: CID[] = [root]
  while (level.length > 0) {
    const next: CID[] = []
    const toRead: CID[] = []
    for (const cid of level) {
      if (cid.code === raw.code) continue
      if (cid.code !== dagPb.code) return undefined
      toRead.push(cid)
    }
    for (let i = 0; i < toRead.length; i += BATCH) {
      signal?.throwIfAborted()
      const batch = toRead.slice(i, i + BATCH)
      const values = await blocks.getMany(batch.map(c => c.multihash.bytes))
      for (const bytes of values) {
        if (bytes === undefined) continue
        for (const link of dagPb.decode(bytes).Links) {
          const key = pinnedBlockKey(link.Hash)
          if (seen.has(key)) continue
          seen.set(key, link.Hash)
          next.push(link.Hash)
        }
      }
    }
    level = next
  }
  return seen
}

/** The block a `/pinned-block/<base36 multihash>` key names (as a raw CIDv1, as blockstores list them). */
export function blockCidOfKey (key: string): CID {
  return CID.createV1(raw.code, Digest.decode(base36.decode(key.slice(PINNED_BLOCK_PREFIX.length))))
}

/** Up to this many pinned blocks in all, an unpin scans every record instead of walking the DAG. */
export const SCAN_LIMIT = 262_144

/**
 * Remove `root`'s pin by scanning every pinned-block record (a page of thousands per request, all
 * in one transaction, so it is all or nothing): no block is read, so a folder of 10,000 dag-pb
 * files costs a few requests instead of 10,000 reads. Only worth it while the records are few
 * (`SCAN_LIMIT`); returns undefined above that (the caller walks the DAG). Each record held by
 * `root` is released once (`releaseWrites`), the pin record deleted in the same transaction.
 */
export async function unpinByScan (records: BatchStores['records'], root: CID): Promise<{ released: number, keys: string[] } | undefined> {
  if (await records.count(PINNED_BLOCK_PREFIX) > SCAN_LIMIT) return undefined
  let released = 0
  const keys: string[] = []
  await records.scanUpdate(PINNED_BLOCK_PREFIX, (page, values) => {
    const r = releaseWrites(root, page, values)
    released += r.released
    for (const w of r.writes) keys.push(w.key)
    return r.writes
  }, [{ key: pinKey(root), delete: true }])
  return { released, keys }
}

/** Delete every block no pin holds, in batches. The caller holds the locks (see above). */
export async function collectGarbageBatched (stores: BatchStores, options: BatchedGcOptions = {}): Promise<{ blocks: number, bytes: number }> {
  const signal = options.signal
  const marks = new Set(await stores.records.keys(PINNED_BLOCK_PREFIX))
  signal?.throwIfAborted()
  const candidates: Array<{ multihash: Uint8Array, key: string }> = []
  for (const multihash of await stores.blocks.allMultihashes()) {
    const key = pinnedBlockKeyOf(multihash)
    if (!marks.has(key)) candidates.push({ multihash, key })
  }
  const result = { blocks: 0, bytes: 0 }
  // Marked since the mark set was taken: kept (the marks are read again, one request).
  const now = candidates.length === 0 ? marks : new Set(await stores.records.keys(PINNED_BLOCK_PREFIX))
  const doomed = candidates.filter(c => !now.has(c.key))
  for (let i = 0; i < doomed.length; i += BATCH) {
    signal?.throwIfAborted()
    const unmarked = doomed.slice(i, i + BATCH)
    const sizes = await stores.blocks.deleteMany(unmarked.map(c => c.multihash))
    unmarked.forEach((c, j) => {
      const size = sizes[j]
      if (size === undefined) return
      result.blocks++
      result.bytes += size
      options.onDeleted?.(CID.createV1(raw.code, Digest.decode(c.multihash)), size)
    })
  }
  return result
}
