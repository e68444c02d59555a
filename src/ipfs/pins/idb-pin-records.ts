/**
 * Pin records straight in the IndexedDB database that `datastore-idb` uses for the node's
 * datastore (same name, version and object store; values are the same bytes), so each batch of
 * `pinBlocks` is one transaction: all reads issued at once, then all writes.
 *
 * A second connection to the database is safe: IndexedDB orders transactions across connections,
 * and datastore-idb keeps no cache.
 */
import { openDB } from 'idb'
import type { PinRecordStore } from './pin-records.js'
import type { IDBPDatabase } from 'idb'

export interface IdbPinRecords extends PinRecordStore {
  /** Many records in one read transaction (`undefined` for a missing one). */
  getMany: (keys: string[]) => Promise<Array<Uint8Array | undefined>>
  /** Every key that starts with `prefix`, in one read. */
  keys: (prefix: string) => Promise<string[]>
  close: () => void
}

/**
 * Open the records of the datastore `name`. `onBlocking` runs (after the connection is closed)
 * when another connection needs to upgrade or delete the database; open a new one after that.
 */
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
      // [prefix, prefix + U+FFFF): every key that starts with it (keys are ASCII).
      const keys = await db.getAllKeys(name, IDBKeyRange.bound(prefix, `${prefix}\uffff`, false, true))
      return keys.filter((k): k is string => typeof k === 'string')
    },
    async update (keys, decide) {
      const tx = db.transaction(name, 'readwrite')
      const done = tx.done
      done.catch(() => {})
      try {
        const values = await Promise.all(keys.map(async k => tx.store.get(k) as Promise<Uint8Array | undefined>))
        for (const w of decide(values)) {
          const req = 'delete' in w ? tx.store.delete(w.key) : tx.store.put(w.value, w.key)
          req.catch(() => {})
        }
      } catch (err) {
        try { tx.abort() } catch { /* already finished */ }
        throw err
      }
      await done
    },
    close () { db.close() }
  }
}
