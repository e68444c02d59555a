/**
 * The Backups page's memory, in IndexedDB: the repositories this device knows (label, IPNS name,
 * last root) and the summaries of backups made here. A remembered password is stored only as
 * AES-GCM ciphertext under a non-extractable device key (see device-key.ts): script on this origin
 * can ask the browser to decrypt it, but the key itself can never be read or copied off the device.
 */
import { openDB } from 'idb'
import { seal, unseal } from './device-key.js'
import type { Sealed } from './device-key.js'
import type { IDBPDatabase } from 'idb'

const DB_NAME = 'cairn/backups/v1'
const PASSWORD_KEY_PURPOSE = 'backup-passwords'

export interface RepoRecord {
  /** The IPNS name (`k51…`) when the repository has one, else its root CID. */
  id: string
  label: string
  /** `k51…` IPNS name, when known. */
  name?: string | undefined
  /** The key (in the IPNS key store) that publishes `name`, when this device holds it. */
  keyName?: string | undefined
  /** This device could publish `name` when it last opened the repository (its own key, or the one the repository carries). */
  canPublish?: boolean | undefined
  /** The last root this device wrote or opened. */
  root?: string | undefined
  createdAt: number
  lastUsedAt: number
  /** The password, encrypted with the device key ("Remember on this device"). */
  password?: Sealed | undefined
}

/** What a backup made on this device reported (restic snapshot files carry no statistics). */
export interface StoredSummary {
  snapshotId: string
  repoId: string
  filesNew: number
  filesChanged: number
  filesUnmodified: number
  dirs: number
  bytesProcessed: number
  bytesAdded: number
  durationMs: number
}

export interface BackupStore {
  list: () => Promise<RepoRecord[]>
  get: (id: string) => Promise<RepoRecord | undefined>
  put: (record: RepoRecord) => Promise<void>
  remove: (id: string) => Promise<void>
  rememberPassword: (id: string, password: string) => Promise<void>
  forgetPassword: (id: string) => Promise<void>
  /** The remembered password, or undefined when none is stored (or the device key changed). */
  recallPassword: (id: string) => Promise<string | undefined>
  putSummary: (s: StoredSummary) => Promise<void>
  summaries: (repoId: string) => Promise<Map<string, StoredSummary>>
}

export async function openBackupStore (): Promise<BackupStore> {
  const db: IDBPDatabase = await openDB(DB_NAME, 1, {
    upgrade (d) {
      d.createObjectStore('repos', { keyPath: 'id' })
      const s = d.createObjectStore('summaries', { keyPath: 'snapshotId' })
      s.createIndex('repoId', 'repoId')
    }
  })
  const store: BackupStore = {
    async list () { return (await db.getAll('repos') as RepoRecord[]).sort((a, b) => b.lastUsedAt - a.lastUsedAt) },
    async get (id) { return await db.get('repos', id) as RepoRecord | undefined },
    async put (record) { await db.put('repos', record) },
    async remove (id) { await db.delete('repos', id) },
    async rememberPassword (id, password) {
      const rec = await store.get(id)
      if (rec === undefined) return
      await db.put('repos', { ...rec, password: await seal(PASSWORD_KEY_PURPOSE, password, id) })
    },
    async forgetPassword (id) {
      const rec = await store.get(id)
      if (rec === undefined) return
      const { password: _, ...rest } = rec
      await db.put('repos', rest)
    },
    async recallPassword (id) {
      const rec = await store.get(id)
      if (rec?.password === undefined) return undefined
      try {
        return await unseal(PASSWORD_KEY_PURPOSE, rec.password, id)
      } catch {
        return undefined
      }
    },
    async putSummary (s) { await db.put('summaries', s) },
    async summaries (repoId) {
      const all = await db.getAllFromIndex('summaries', 'repoId', repoId) as StoredSummary[]
      return new Map(all.map(s => [s.snapshotId, s]))
    }
  }
  return store
}
