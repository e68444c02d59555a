/**
 * Keeping names alive beyond the tab: every record the page signs (publish, keep-alive) is handed
 * to each keeper that holds records, and kept with its targets where the service worker can read
 * it, so a periodic background sync re-sends it while no tab is open (src/sw/keepalive.ts).
 */
import { openKeepAliveStore, sealKeeperToken } from '../platform/keepalive-store.js'
import { enablePeriodicSync, readyRegistration } from '../platform/periodic-sync.js'
import type { AbortOptions } from '../core/options.js'
import type { KeepAliveStore, LastRun, StoredKeeperTarget } from '../platform/keepalive-store.js'
import type { BackgroundState } from '../platform/periodic-sync.js'

export type { BackgroundState, BackgroundReason } from '../platform/periodic-sync.js'
export type { LastRun, RunResult } from '../platform/keepalive-store.js'

/** One keeper's answer to a record handed over. */
export interface KeeperRecordResult { keeper: string, ok: boolean, error?: string | undefined }

/**
 * Hands a signed record to every configured keeper that holds records (the app's keepers
 * service); resolves with one result per keeper, never throws for a keeper's failure.
 */
export type HandRecord = (name: string, record: Uint8Array, options: AbortOptions) => Promise<KeeperRecordResult[]>

/** A keeper the service worker can reach with a record over HTTP (Kubo RPC), token in plain text. */
export interface HttpRecordKeeper { name: string, kind: 'kubo', endpoint: string, token: string }

export interface BackgroundStatus {
  /** Undefined while it is being checked. */
  state?: BackgroundState | undefined
  /** Records kept for the service worker, and how many are still valid. */
  records: number
  validRecords: number
  /** The last round the service worker ran, if any. */
  lastRun?: LastRun | undefined
}

export interface RecordKeeping {
  /** Keeps `record` (and the current targets) for the service worker, and hands it to the keepers. */
  keep: (name: string, record: Uint8Array, facts: RecordFacts, options: AbortOptions) => Promise<KeeperRecordResult[]>
  /** Keeps `record` for the service worker only (records other services sign, e.g. backups). */
  remember: (name: string, record: Uint8Array, facts: RecordFacts) => Promise<void>
  forget: (name: string) => Promise<void>
  /** Registers periodic sync where the browser allows it, and reads what the worker last did. */
  status: () => Promise<BackgroundStatus>
}

export interface RecordFacts { sequence: bigint, expiresAt: number }

export interface RecordKeepingInit {
  routers: () => string[]
  handRecord?: HandRecord | undefined
  httpKeepers?: (() => HttpRecordKeeper[]) | undefined
  registration?: (() => Promise<ServiceWorkerRegistration | undefined>) | undefined
}

export function createRecordKeeping (init: RecordKeepingInit): RecordKeeping {
  let opened: Promise<KeepAliveStore> | undefined
  const store = async (): Promise<KeepAliveStore> => {
    opened ??= openKeepAliveStore().catch((err: unknown) => { opened = undefined; throw err })
    return await opened
  }
  const saveTargets = async (s: KeepAliveStore): Promise<void> => {
    const keepers: StoredKeeperTarget[] = await Promise.all((init.httpKeepers?.() ?? []).map(async k => ({
      name: k.name, kind: k.kind, endpoint: k.endpoint, sealedToken: await sealKeeperToken(k.endpoint, k.token)
    })))
    await s.putTargets({ routers: [...init.routers()], keepers, savedAt: Date.now() })
  }
  const remember = async (name: string, record: Uint8Array, facts: RecordFacts): Promise<void> => {
    try {
      const s = await store()
      await s.putRecord({ name, record, sequence: facts.sequence.toString(), expiresAt: facts.expiresAt, storedAt: Date.now() })
      await saveTargets(s)
    } catch (err) {
      // The page still publishes; only the background round would miss this record.
      console.warn('Cairn: the record could not be kept for background keep-alive', err)
    }
  }
  return {
    remember,
    async keep (name, record, facts, options) {
      const stored = remember(name, record, facts)
      const handed = init.handRecord === undefined ? [] : await init.handRecord(name, record, options)
      await stored
      return handed
    },
    async forget (name) {
      await (await store()).deleteRecord(name)
    },
    async status () {
      const registration = await (init.registration ?? readyRegistration)().catch(() => undefined)
      const [state, s] = await Promise.all([enablePeriodicSync(registration), store()])
      const [records, lastRun] = await Promise.all([s.records(), s.lastRun()])
      const now = Date.now()
      return { state, records: records.length, validRecords: records.filter(r => r.expiresAt > now).length, lastRun }
    }
  }
}
