/**
 * Pin records straight in the IndexedDB database that `datastore-idb` uses for the node's
 * datastore (same name, version and object store; values are the same bytes), so each batch of
 * `pinBlocks` is one transaction: all reads issued at once, then all writes.
 *
 * A second connection to the database is safe: IndexedDB orders transactions across connections,
 * and datastore-idb keeps no cache.
 */
import { openDB } from 'idb'
import { deleteMany, readMany } from './idb-ranges.js'
import type { RwStore } from './idb-ranges.js'
import type { PinRecordStore, RecordWrite } from './pin-records.js'
import type { IDBPDatabase } from 'idb'

export interface IdbPinRecords extends PinRecordStore {
  /** Many records in one read transaction (`undefined` for a missing one). */
  getMany: (keys: string[]) => Promise<Array<Uint8Array | undefined>>
  /** Every key that starts with `prefix`, in one read. */
  keys: (prefix: string) => Promise<string[]>
  /** How many keys start with `prefix` (one request). */
  count: (prefix: string) => Promise<number>
  /**
   * In ONE transaction: every record under `prefix`, a page at a time, through `decide`, whose
   * writes are applied before the next page; then `finalWrites`. Atomic: all or nothing.
   */
  scanUpdate: (prefix: string, decide: (keys: string[], values: Array<Uint8Array | undefined>) => RecordWrite[], finalWrites: RecordWrite[]) => Promise<void>
  close: () => void
}

/**
 * Open the records of the datastore `name`. `onBlocking` runs (after the connection is closed)
 * when another connection needs to upgrade or delete the database; open a new one after that.
 */
/** Records read per request while scanning. */
const SCAN_PAGE = 4096

/** [prefix, prefix + U+FFFF): every key that starts with it (keys are ASCII). */
function prefixRange (prefix: string): IDBKeyRange {
  return IDBKeyRange.bound(prefix, `${prefix}\uffff`, false, true)
}

/** Puts one by one; deletes of consecutive keys (in `listed`) one range request per run. */
async function applyWrites (store: RwStore, writes: RecordWrite[], listed: string[] | undefined): Promise<void> {
  const deletes = writes.flatMap(w => 'delete' in w ? [w.key] : [])
  const puts = writes.flatMap(w => 'delete' in w ? [] : [w])
  if (puts.some(p => deletes.includes(p.key))) {
    // Both on one key: in the order given.
    for (const w of writes) ('delete' in w ? store.delete(w.key) : store.put(w.value, w.key)).catch(() => {})
    return
  }
  for (const p of puts) store.put(p.value, p.key).catch(() => {})
  await deleteMany(store, deletes, { listed })
}

export async function openIdbPinRecords (name: string, onBlocking?: () => void): Promise<IdbPinRecords> {
  const db: IDBPDatabase = await openDB(name, 1, {
    upgrade (d) { d.createObjectStore(name) },
    blocking () { db.close(); onBlocking?.() }
  })
  return {
    async get (key) {
      const value: unknown = await db.get(name, key)
      return value === undefined ? undefined : value as Uint8Array
    },
    async getMany (keys) {
      const tx = db.transaction(name, 'readonly')
      const values = await Promise.all(keys.map(async k => tx.store.get(k) as Promise<Uint8Array | undefined>))
      await tx.done
      return values
    },
    async keys (prefix) {
      const keys = await db.getAllKeys(name, prefixRange(prefix))
      return keys.filter((k): k is string => typeof k === 'string')
    },
    async count (prefix) {
      return db.count(name, prefixRange(prefix))
    },
    async scanUpdate (prefix, decide, finalWrites) {
      const tx = db.transaction(name, 'readwrite')
      const done = tx.done
      done.catch(() => {})
      try {
        let range = prefixRange(prefix)
        const end = `${prefix}\uffff`
        for (;;) {
          const [keys, values] = await Promise.all([tx.store.getAllKeys(range, SCAN_PAGE), tx.store.getAll(range, SCAN_PAGE)])
          if (keys.length === 0) break
          const page = keys.filter((k): k is string => typeof k === 'string')
          await applyWrites(tx.store, decide(page, values as Array<Uint8Array | undefined>), page)
          if (keys.length < SCAN_PAGE) break
          range = IDBKeyRange.bound(page[page.length - 1]!, end, true, true)
        }
        await applyWrites(tx.store, finalWrites, undefined)
      } catch (err) {
        try { tx.abort() } catch { /* already finished */ }
        throw err
      }
      await done
    },
    async update (keys, decide) {
      const tx = db.transaction(name, 'readwrite')
      const done = tx.done
      done.catch(() => {})
      try {
        const { values, span } = await readMany(tx.store, keys)
        await applyWrites(tx.store, decide(values as Array<Uint8Array | undefined>), span)
      } catch (err) {
        try { tx.abort() } catch { /* already finished */ }
        throw err
      }
      await done
    },
    close () { db.close() }
  }
}
