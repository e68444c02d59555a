/**
 * What the service worker needs to keep names alive while no tab is open, shared by the page
 * (which writes it) and the service worker (which reads it on a `periodicsync` event), in
 * IndexedDB `cairn/keepalive/v1`:
 *
 * - `records`: the newest signed record of each name this device publishes (never the key: the
 *   worker only re-sends, it never signs).
 * - `targets`: where to re-send them: the delegated routers, and the keepers that take records
 *   over HTTP (Kubo RPC `routing/put`), each token sealed under the device key and bound to its
 *   endpoint, as Settings keeps tokens.
 * - `runs`: what the last background round did, for the Names page.
 */
import { openDB } from 'idb'
import { isSealed, seal, unseal } from './device-key.js'
import type { IDBPDatabase } from 'idb'
import type { Sealed } from './device-key.js'

const DB_NAME = 'cairn/keepalive/v1'
const RECORDS = 'records'
const META = 'meta'
const TARGETS_KEY = 'targets'
const LAST_RUN_KEY = 'last-run'
const TOKEN_PURPOSE = 'keeper-tokens'
const tokenContext = (endpoint: string): string => `keeper-token\n${endpoint}`

/** A signed record kept for re-sending. */
export interface StoredRecord {
  /** The name, `k51…`. */
  name: string
  /** The signed record's protobuf bytes. */
  record: Uint8Array
  /** The record's sequence, as a decimal string (a bigint does not survive every structured clone). */
  sequence: string
  /** When its signature stops being valid (ms since the epoch). */
  expiresAt: number
  storedAt: number
}

/** A keeper the worker can reach over HTTP with a record. */
export interface HttpKeeperTarget {
  /** Shown in results and logs. */
  name: string
  kind: 'kubo'
  /** Kubo RPC API base, e.g. `http://127.0.0.1:5001`. */
  endpoint: string
}

export interface StoredKeeperTarget extends HttpKeeperTarget {
  /** Absent when the keeper needs no token. */
  sealedToken?: Sealed | undefined
}

export interface KeepAliveTargets {
  routers: string[]
  keepers: StoredKeeperTarget[]
  savedAt: number
}

/** One target's answer in a background round. */
export interface RunResult {
  name: string
  target: string
  ok: boolean
  error?: string | undefined
}

export interface LastRun {
  at: number
  /** Records that were still valid and so were sent. */
  sent: number
  /** Records skipped because they had expired (the page must re-sign them). */
  expired: number
  results: RunResult[]
  /** Keepers skipped before any request (their token could not be unsealed), with the reason. */
  skipped: Array<{ keeper: string, reason: string }>
}

export interface KeepAliveStore {
  /** Keeps `record` unless a record with a higher sequence is already kept for the name. */
  putRecord: (entry: StoredRecord) => Promise<boolean>
  records: () => Promise<StoredRecord[]>
  deleteRecord: (name: string) => Promise<void>
  putTargets: (targets: KeepAliveTargets) => Promise<void>
  targets: () => Promise<KeepAliveTargets | undefined>
  putLastRun: (run: LastRun) => Promise<void>
  lastRun: () => Promise<LastRun | undefined>
  close: () => void
}

/** Opens the store (the page and the service worker each open their own connection). */
export async function openKeepAliveStore (dbName: string = DB_NAME): Promise<KeepAliveStore> {
  const db: IDBPDatabase = await openDB(dbName, 1, {
    upgrade (d) {
      d.createObjectStore(RECORDS, { keyPath: 'name' })
      d.createObjectStore(META)
    }
  })
  return {
    async putRecord (entry) {
      const tx = db.transaction(RECORDS, 'readwrite')
      const kept = await tx.store.get(entry.name) as StoredRecord | undefined
      // Never replace a newer record by an older one (two tabs, a late keep-alive round).
      const newer = kept === undefined || BigInt(entry.sequence) >= BigInt(kept.sequence)
      if (newer) await tx.store.put({ ...entry, record: new Uint8Array(entry.record) })
      await tx.done
      return newer
    },
    async records () {
      const all = await db.getAll(RECORDS) as StoredRecord[]
      return all.filter(r => typeof r.name === 'string' && r.record instanceof Uint8Array && typeof r.sequence === 'string' && typeof r.expiresAt === 'number')
    },
    async deleteRecord (name) { await db.delete(RECORDS, name) },
    async putTargets (targets) { await db.put(META, targets, TARGETS_KEY) },
    async targets () {
      const t = await db.get(META, TARGETS_KEY) as Partial<KeepAliveTargets> | undefined
      if (t === undefined) return undefined
      return {
        routers: Array.isArray(t.routers) ? t.routers.filter((r): r is string => typeof r === 'string') : [],
        keepers: Array.isArray(t.keepers) ? t.keepers.filter(k => k.kind === 'kubo' && typeof k.endpoint === 'string' && typeof k.name === 'string') : [],
        savedAt: typeof t.savedAt === 'number' ? t.savedAt : 0
      }
    },
    async putLastRun (run) { await db.put(META, run, LAST_RUN_KEY) },
    async lastRun () { return await db.get(META, LAST_RUN_KEY) as LastRun | undefined },
    close () { db.close() }
  }
}

/** Seals a keeper's token for the store (bound to its endpoint). */
export async function sealKeeperToken (endpoint: string, token: string): Promise<Sealed | undefined> {
  return token === '' ? undefined : await seal(TOKEN_PURPOSE, token, tokenContext(endpoint))
}

/**
 * The keeper's token in plain text, `''` when it has none. Throws when this device cannot open it
 * (another device key, a ciphertext moved to another endpoint, a damaged record).
 */
export async function unsealKeeperToken (keeper: StoredKeeperTarget): Promise<string> {
  if (keeper.sealedToken === undefined) return ''
  if (!isSealed(keeper.sealedToken)) throw new TypeError('the stored token is damaged')
  return await unseal(TOKEN_PURPOSE, keeper.sealedToken, tokenContext(keeper.endpoint))
}
