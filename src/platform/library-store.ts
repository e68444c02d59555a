/**
 * The library: everything the user added or imported, kept in IndexedDB (`cairn/library/v1`).
 * Whether an item is still pinned is asked of the node, not stored here.
 */
import { openDB } from 'idb'
import type { IDBPDatabase } from 'idb'

export interface LibraryItem {
  cid: string
  name: string
  /** Bytes (files: content; folders: DAG size). */
  size: number
  type: 'file' | 'directory' | 'raw' | 'symlink'
  /** How it got here. */
  source: 'add' | 'car' | 'open'
  profile?: string
  addedAt: number
}

const DB_NAME = 'cairn/library/v1'
const STORE = 'items'

export interface LibraryStore {
  list: () => Promise<LibraryItem[]>
  put: (item: LibraryItem) => Promise<void>
  remove: (cid: string) => Promise<void>
}

export async function openLibraryStore (): Promise<LibraryStore> {
  const db: IDBPDatabase = await openDB(DB_NAME, 1, {
    upgrade (d) { d.createObjectStore(STORE, { keyPath: 'cid' }) }
  })
  return {
    async list () {
      const items = await db.getAll(STORE) as LibraryItem[]
      return items.sort((a, b) => b.addedAt - a.addedAt)
    },
    async put (item) { await db.put(STORE, item) },
    async remove (cid) { await db.delete(STORE, cid) }
  }
}
