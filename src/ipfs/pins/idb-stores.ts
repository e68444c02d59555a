/**
 * Batched access to the node's IndexedDB stores, for unpin and garbage collection whose cost
 * follows the work, not one transaction per block.
 *
 * blockstore-idb and datastore-idb open one transaction per call: unpinning a 10,000-file folder
 * through them read 10,000 pin records one by one, and garbage collection read, checked and deleted
 * every block in three transactions each. Here thousands of reads or deletes share one
 * transaction, on the same databases (same names, versions, object stores and keys), so Helia,
 * opened on them, sees exactly what it would have written itself.
 */
import { openDB } from 'idb'
import { base32upper } from 'multiformats/bases/base32'
import { openIdbPinRecords } from './idb-pin-records.js'
import { deleteMany } from './idb-ranges.js'
import type { IdbPinRecords } from './idb-pin-records.js'
import type { PinRecordStore } from './pin-records.js'
import type { IDBPDatabase } from 'idb'

/** Blocks by multihash, many per call. */
export interface BlockBatchStore {
  /** Each block's bytes, `undefined` when it is not in the store; one transaction. */
  getMany: (multihashes: Uint8Array[]) => Promise<Array<Uint8Array | undefined>>
  /** The multihash of every block in the store (in the store's key order). */
  allMultihashes: () => Promise<Uint8Array[]>
  /** Delete these blocks in one transaction; each one's size in bytes (`undefined` when it was not there). */
  deleteMany: (multihashes: Uint8Array[]) => Promise<Array<number | undefined>>
}

/** Pin records, read many at a time, and every key under a prefix at once. */
export type PinMarkStore = PinRecordStore & Pick<IdbPinRecords, 'getMany' | 'keys' | 'count' | 'scanUpdate'>

/** What batched unpin and garbage collection need: the node's blocks and its pin records. */
export interface BatchStores {
  blocks: BlockBatchStore
  records: PinMarkStore
}

export interface IdbBatchStores extends BatchStores {
  close: () => void
}

/** The key blockstore-idb uses: `/` + base32upper(multihash). */
function blockKey (multihash: Uint8Array): string {
  return `/${base32upper.encoder.encode(multihash)}`
}


async function openBlocks (name: string, onBlocking?: () => void): Promise<BlockBatchStore & { close: () => void }> {
  const db: IDBPDatabase = await openDB(name, 1, {
    upgrade (d) { d.createObjectStore(name) },
    blocking () { db.close(); onBlocking?.() }
  })
  /** Every key at the last `allMultihashes`, in order: `deleteMany` takes its runs from it. */
  let listed: string[] | undefined
  return {
    async getMany (multihashes) {
      const tx = db.transaction(name, 'readonly')
      const values = await Promise.all(multihashes.map(async mh => tx.store.get(blockKey(mh)) as Promise<unknown>))
      await tx.done
      return values.map(v => v instanceof Uint8Array ? v : v instanceof ArrayBuffer ? new Uint8Array(v) : undefined)
    },
    async allMultihashes () {
      const keys = await db.getAllKeys(name)
      const out: Uint8Array[] = []
      listed = []
      for (const k of keys) {
        if (typeof k !== 'string') continue
        listed.push(k)
        if (!k.startsWith('/')) continue
        try { out.push(base32upper.decoder.decode(k.slice(1))) } catch { /* not a block key */ }
      }
      return out
    },
    async deleteMany (multihashes) {
      const tx = db.transaction(name, 'readwrite')
      const done = tx.done
      done.catch(() => {})
      const keys = multihashes.map(blockKey)
      // Blocks of one unpinned folder sit in runs between pinned ones: one range request per run
      // (at most `maxRun` blocks, so one getAll holds a bounded amount).
      const sizes = await deleteMany(tx.store, keys, { measure: true, listed, maxRun: 256 })
      await done
      return keys.map(k => sizes.get(k))
    },
    close () { db.close() }
  }
}

/**
 * Open the node's block and pin-record databases (blockstore-idb's `blockstoreName`, datastore-idb's
 * `datastoreName`). `onBlocking` runs when another connection needs to upgrade or delete either
 * database (both are closed then); open new stores after that.
 */
export async function openIdbBatchStores (names: { blockstoreName: string, datastoreName: string }, onBlocking?: () => void): Promise<IdbBatchStores> {
  const opened: Array<{ close: () => void }> = []
  let closed = false
  const closeAll = (): void => {
    if (closed) return
    closed = true
    for (const o of opened) o.close()
    onBlocking?.()
  }
  const [blocks, records] = await Promise.all([
    openBlocks(names.blockstoreName, closeAll),
    openIdbPinRecords(names.datastoreName, closeAll)
  ])
  opened.push(blocks, records)
  if (closed) { blocks.close(); records.close() }
  return {
    blocks,
    records,
    close () { closed = true; blocks.close(); records.close() }
  }
}
