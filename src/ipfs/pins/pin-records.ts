/**
 * Helia's pin records, written in batches.
 *
 * Helia (`helia/dist/src/pins.js`) keeps, in the node's datastore:
 * - `/pin/<base36 CIDv1 of the root>` → CBOR `{ depth, metadata }`, one per pinned root;
 * - `/pinned-block/<base36 multihash>` → CBOR `{ pinCount, pinnedBy: [root CID bytes…] }`, one per
 *   block held by at least one pin. The blockstore refuses to delete a block with this record, and
 *   garbage collection keeps it.
 *
 * Helia's own `pins.add` walks the DAG and does a read and a write per block, each its own
 * IndexedDB transaction (~1.8 ms a block in Chromium). When the caller already knows the blocks
 * (the add worker records them while writing), `pinBlocks` writes the same records with one read
 * and one write transaction per batch of thousands of blocks, and no DAG walk. The records are
 * byte-for-byte what Helia writes, so Helia's `pins.rm`, `pins.ls`, `isPinned` and the
 * blockstore's delete guard work on them unchanged.
 *
 * Order, as in Helia: blocks are marked first and the pin record is written last (in the last
 * batch's transaction). An interrupted pin therefore leaves marked blocks and no pin (they are
 * kept, never lost); a complete pin record always has every block marked.
 */
import * as cborg from 'cborg'
import { base36 } from 'multiformats/bases/base36'
import { equalBytes } from '../../core/bytes.js'
import { Key } from 'interface-datastore'
import type { Datastore } from 'interface-datastore'
import type { CID } from 'multiformats/cid'

export const PIN_PREFIX = '/pin/'
export const PINNED_BLOCK_PREFIX = '/pinned-block/'

/** How many block records are read and written per transaction. */
export const PIN_BATCH = 4096

/** The datastore key of a root's pin record (Helia keys it by the CIDv1). */
export function pinKey (cid: CID): string {
  return `${PIN_PREFIX}${(cid.version === 0 ? cid.toV1() : cid).toString(base36)}`
}

/** The datastore key of a block's pinned-block record (Helia keys it by multihash). */
export function pinnedBlockKey (cid: CID): string {
  return pinnedBlockKeyOf(cid.multihash.bytes)
}

export function pinnedBlockKeyOf (multihash: Uint8Array): string {
  return `${PINNED_BLOCK_PREFIX}${base36.encode(multihash)}`
}

/** The bytes of the same CID in the other version, when there is one (dag-pb, sha2-256). */
function otherVersion (cid: CID): Uint8Array[] {
  try {
    if (cid.version === 0) return [cid.toV1().bytes]
    if (cid.code === 0x70 && cid.multihash.code === 0x12) return [cid.toV0().bytes]
  } catch { /* no other form */ }
  return []
}

interface PinnedBlock { pinCount: number, pinnedBy: Uint8Array[] }

export type RecordWrite = { key: string, value: Uint8Array } | { key: string, delete: true }

/**
 * Where pin records live. `update` reads `keys`, then writes what `decide` returns, as one atomic
 * step where the store can (one IndexedDB transaction).
 */
export interface PinRecordStore {
  get: (key: string) => Promise<Uint8Array | undefined>
  update: (keys: string[], decide: (values: Array<Uint8Array | undefined>) => RecordWrite[]) => Promise<void>
}

export interface PinBlocksOptions {
  metadata?: Record<string, string | number | boolean> | undefined
  /** Called after each batch with the number of blocks marked so far. */
  onBatch?: ((marked: number) => void) | undefined
  batchSize?: number | undefined
}

export interface PinBlocksResult {
  /** Distinct blocks this pin holds. */
  blocks: number
  alreadyPinned: boolean
}

/** One root to pin and every block of its DAG (root included, as `pinnedBlockKey`s). */
export interface PinRequest {
  root: CID
  blockKeys: Iterable<string>
  metadata?: Record<string, string | number | boolean> | undefined
}

/**
 * Pin `root` as holding exactly `blockKeys` (its whole DAG, root included, as `pinnedBlockKey`s;
 * duplicates are fine). Every block must already be stored: the caller guarantees it.
 */
export async function pinBlocks (store: PinRecordStore, root: CID, blockKeys: Iterable<string>, options: PinBlocksOptions = {}): Promise<PinBlocksResult> {
  const [result] = await pinMany(store, [{ root, blockKeys, metadata: options.metadata }], options)
  return result!
}

/**
 * Pin many roots at once (an add of many top-level files): their records are read and written
 * together, `batchSize` records a transaction, so a thousand small roots cost a few transactions,
 * not a thousand. A root listed twice, or pinned already, is left as it is. Each root's pin record
 * is written in the transaction of its last block marks (never before).
 */
export async function pinMany (store: PinRecordStore, requests: PinRequest[], options: Omit<PinBlocksOptions, 'metadata'> = {}): Promise<PinBlocksResult[]> {
  const batchSize = Math.max(1, options.batchSize ?? PIN_BATCH)
  const rootKeys = requests.map(r => pinKey(r.root))
  const results: PinBlocksResult[] = requests.map(() => ({ blocks: 0, alreadyPinned: true }))

  // Which roots are pinned already (read in batches, no writes).
  const pinned = new Set<string>()
  for (let i = 0; i < rootKeys.length; i += batchSize) {
    const keys = [...new Set(rootKeys.slice(i, i + batchSize))]
    await store.update(keys, (values) => {
      values.forEach((v, j) => { if (v !== undefined) pinned.add(keys[j]!) })
      return []
    })
  }

  // The work, in order: each root's block marks, then its pin record.
  type Op = { kind: 'mark', key: string, by: Uint8Array } | { kind: 'pin', key: string, value: Uint8Array }
  const ops: Op[] = []
  requests.forEach((r, i) => {
    const rootKey = rootKeys[i]!
    if (pinned.has(rootKey)) return
    pinned.add(rootKey) // a second request for the same root is a no-op
    const keys = new Set(r.blockKeys)
    keys.add(pinnedBlockKey(r.root))
    for (const key of keys) ops.push({ kind: 'mark', key, by: r.root.bytes })
    ops.push({ kind: 'pin', key: rootKey, value: cborg.encode({ depth: Infinity, metadata: r.metadata ?? {} }) })
    results[i] = { blocks: keys.size, alreadyPinned: false }
  })

  let done = 0
  for (let start = 0; start < ops.length; start += batchSize) {
    const batch = ops.slice(start, start + batchSize)
    const keys = [...new Set(batch.map(op => op.key))]
    await store.update(keys, (values) => {
      const records = new Map<string, PinnedBlock | undefined>()
      keys.forEach((k, i) => { const v = values[i]; records.set(k, v === undefined ? undefined : cborg.decode(v) as PinnedBlock) })
      const dirty = new Set<string>()
      const writes: RecordWrite[] = []
      for (const op of batch) {
        if (op.kind === 'pin') {
          // Pinned meanwhile by another writer: leave its record.
          if (records.get(op.key) === undefined) writes.push({ key: op.key, value: op.value })
          continue
        }
        const record = records.get(op.key) ?? { pinCount: 0, pinnedBy: [] }
        records.set(op.key, record)
        // Helia's rule: a block already held by this root is not counted twice.
        if (record.pinnedBy.some(c => equalBytes(c, op.by))) continue
        record.pinCount++
        record.pinnedBy.push(op.by)
        dirty.add(op.key)
      }
      for (const key of dirty) writes.push({ key, value: cborg.encode(records.get(key)!) })
      return writes
    })
    done += batch.length
    options.onBatch?.(done)
  }
  return results
}

/**
 * Delete `root`'s pin record and remove its hold on `blockKeys` (its whole DAG, duplicates fine),
 * the pin record in the first batch's transaction. Unlike Helia's `pins.rm`, a block that appears
 * twice in the DAG is released once, and only when this root holds it, so another pin's blocks are
 * never released by mistake (Helia decrements per visit: a file with repeated chunks leaves a
 * negative count behind, and a block shared with another pin can lose its mark).
 * Returns how many blocks this root held.
 */
export async function unpinBlocks (store: PinRecordStore, root: CID, blockKeys: Iterable<string>, options: Omit<PinBlocksOptions, 'metadata'> = {}): Promise<number> {
  const rootKey = pinKey(root)
  // In key order: each batch then spans a narrow key range (read and deleted in few requests).
  const keys = [...new Set(blockKeys)].sort()
  const batchSize = Math.max(1, options.batchSize ?? PIN_BATCH)
  // The pin may have been made with the other version of the same CID (Helia keys pins by v1):
  // `releaseWrites` releases either.
  let released = 0
  for (let start = 0; start < keys.length || start === 0; start += batchSize) {
    const batch = keys.slice(start, start + batchSize)
    const first = start === 0
    await store.update(batch, (values) => {
      const r = releaseWrites(root, batch, values)
      released += r.released
      return first ? [{ key: rootKey, delete: true }, ...r.writes] : r.writes
    })
    options.onBatch?.(start + batch.length)
    if (start + batchSize >= keys.length) break
  }
  return released
}

/**
 * The writes that release `root`'s hold on these pinned-block records (each released once, only
 * where `root`, in either CID version, is among its holders), and how many it held.
 */
export function releaseWrites (root: CID, keys: string[], values: Array<Uint8Array | undefined>): { writes: RecordWrite[], released: number } {
  const forms = [root.bytes, ...otherVersion(root)]
  const writes: RecordWrite[] = []
  let released = 0
  for (let i = 0; i < keys.length; i++) {
    const current = values[i]
    if (current === undefined) continue
    const record = cborg.decode(current) as PinnedBlock
    const kept = record.pinnedBy.filter(c => !forms.some(f => equalBytes(c, f)))
    if (kept.length === record.pinnedBy.length) continue
    released++
    const pinCount = record.pinCount - 1
    if (pinCount <= 0 && kept.length === 0) writes.push({ key: keys[i]!, delete: true })
    else writes.push({ key: keys[i]!, value: cborg.encode({ pinCount: Math.max(pinCount, kept.length), pinnedBy: kept }) })
  }
  return { writes, released }
}

/**
 * Pin records in any `Datastore` (memory, filesystem, …): reads one key at a time and writes each
 * batch with `datastore.batch()`. Atomic only as far as that datastore's batch is.
 */
export function datastorePinRecords (datastore: Datastore): PinRecordStore {
  const get = async (key: string): Promise<Uint8Array | undefined> => {
    try {
      return await datastore.get(new Key(key))
    } catch (err) {
      if ((err as { name?: string }).name === 'NotFoundError') return undefined
      throw err
    }
  }
  return {
    get,
    async update (keys, decide) {
      const values: Array<Uint8Array | undefined> = []
      for (const k of keys) values.push(await get(k))
      const writes = decide(values)
      if (writes.length === 0) return
      const batch = datastore.batch()
      for (const w of writes) {
        if ('delete' in w) batch.delete(new Key(w.key))
        else batch.put(new Key(w.key), w.value)
      }
      await batch.commit()
    }
  }
}
