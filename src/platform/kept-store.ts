/**
 * "Where is this kept?": the last answer each keeper gave about a CID, kept in IndexedDB
 * (`cairn/kept/v1`), so the list shows at once and is then refreshed by asking the keepers again.
 * Only what a keeper said is stored (its id, label, state and a short detail), never a secret.
 */
import { openDB } from 'idb'
import type { IDBPDatabase } from 'idb'

export interface KeptAnswer {
  /** The keeper's id (`<kind>:<name>`, `peer:<peer id>`). */
  keeperId: string
  label: string
  state: 'pinned' | 'pinning' | 'queued' | 'failed' | 'absent' | 'unknown' | 'error'
  detail?: string | undefined
  /** When the keeper said it (ms since the epoch). */
  at: number
}

export interface KeptRecord {
  cid: string
  answers: KeptAnswer[]
}

const DB_NAME = 'cairn/kept/v1'
const STORE = 'kept'
/** Answers kept per CID: more than anyone configures; bounds what a record can grow to. */
const MAX_ANSWERS = 64

export interface KeptStore {
  get: (cid: string) => Promise<KeptAnswer[]>
  /** Merge answers in (newer per keeper wins) and return the CID's answers. */
  put: (cid: string, answers: KeptAnswer[]) => Promise<KeptAnswer[]>
  close: () => void
}

export async function openKeptStore (): Promise<KeptStore> {
  const db: IDBPDatabase = await openDB(DB_NAME, 1, {
    upgrade (d) { d.createObjectStore(STORE, { keyPath: 'cid' }) }
  })
  return {
    async get (cid) {
      const rec = await db.get(STORE, cid) as KeptRecord | undefined
      return rec?.answers ?? []
    },
    async put (cid, answers) {
      const tx = db.transaction(STORE, 'readwrite')
      const rec = await tx.store.get(cid) as KeptRecord | undefined
      const byId = new Map((rec?.answers ?? []).map(a => [a.keeperId, a]))
      for (const a of answers) {
        const prev = byId.get(a.keeperId)
        if (prev === undefined || prev.at <= a.at) byId.set(a.keeperId, a)
      }
      const merged = [...byId.values()].sort((a, b) => b.at - a.at).slice(0, MAX_ANSWERS)
      await tx.store.put({ cid, answers: merged } satisfies KeptRecord)
      await tx.done
      return merged
    },
    close () { db.close() }
  }
}
