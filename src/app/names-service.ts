/**
 * IPNS names for the page: keys (encrypted at rest with a non-extractable device key), publish,
 * resolve, inspect, export, and keep-alive (republish on start and on a timer; warn before expiry).
 */
import { createStore } from './store.js'
import { withWebLock } from '../platform/locks.js'
import { deviceKey } from '../platform/device-key.js'
import { createRecordKeeping } from './names-background.js'
import type { BackgroundStatus, HandRecord, HttpRecordKeeper, KeeperRecordResult } from './names-background.js'
import type { Store } from './store.js'
import type { AbortOptions } from '../core/options.js'
import type { NetworkSettings } from '../core/settings.js'
import type { KeyStore, NameStateStore, PublishTargetResult, RecordNetwork, RecordTargets } from '../ipfs/ipns/index.js'
import type * as IpnsModule from '../ipfs/ipns/index.js'
import type { Libp2p } from '@libp2p/interface'

export interface NameRow {
  keyName: string
  k51: string
  bafz: string
  createdAt: number
  /** Last published or seen value, sequence and expiry, when known. */
  value?: string
  sequence?: string
  expiresAt?: number
  expiresSoon: boolean
}

export type { BackgroundState, BackgroundStatus, HandRecord, HttpRecordKeeper, KeeperRecordResult, LastRun, RunResult } from './names-background.js'

export interface PublishOutcome {
  name: string
  value: string
  sequence: string
  /** The signed validity (RFC 3339) and the same as a time. */
  validity: string
  expiresAt: number
  ttlMs: number
  /** Routers and record peers. */
  results: PublishTargetResult[]
  /** Each keeper that holds records (empty when none is configured). */
  keepers: KeeperRecordResult[]
}

export interface ResolveOutcome {
  value: string
  sequence: string | undefined
  validity: string | undefined
  ttlMs: number | undefined
}

export type InspectOutcome =
  | { valid: true, name: string, value: string, sequence: string, validity: string, ttlMs: number, keyType: string }
  | { valid: false, reason: string, message: string }

/** What the last keep-alive round did (one round on start, then one every interval). */
export interface KeepAliveStatus {
  /** Rounds finished since the page started. */
  rounds: number
  lastRoundAt?: number | undefined
  /** Names whose record was sent again unchanged in the last round (far from expiry). */
  resent: number
  /** Names re-signed with a higher sequence in the last round (close to expiry). */
  resigned: number
  /** Names that no target accepted in the last round. */
  failed: number
  /** Keepers that refused a record in the last round (`keeper: error`). */
  keeperFailures: string[]
}

/** What the page wires in beyond settings and the node. */
export interface NamesServiceInit {
  /** Hands a record to every keeper that holds records (the app's keepers service). */
  handRecord?: HandRecord | undefined
  /** Keepers the service worker can reach with records over HTTP (Kubo RPC). */
  httpKeepers?: (() => HttpRecordKeeper[]) | undefined
  /** The service worker's registration, for periodic background sync. */
  registration?: (() => Promise<ServiceWorkerRegistration | undefined>) | undefined
}

export interface NamesService {
  rows: Store<NameRow[]>
  keepAlive: Store<KeepAliveStatus>
  /** Background keep-alive (periodic sync in an installed app): whether it runs, and its last round. */
  background: Store<BackgroundStatus>
  /** Registers periodic sync where the browser allows it and refreshes `background`. */
  checkBackground: () => Promise<void>
  refresh: () => Promise<void>
  create: (keyName: string) => Promise<void>
  rename: (from: string, to: string) => Promise<void>
  remove: (keyName: string) => Promise<void>
  exportKey: (keyName: string) => Promise<Uint8Array>
  importKey: (keyName: string, protobuf: Uint8Array) => Promise<void>
  publish: (keyName: string, value: string, options: AbortOptions & { lifetime: string, ttl: string }) => Promise<PublishOutcome>
  resolve: (name: string, options?: AbortOptions) => Promise<ResolveOutcome>
  inspect: (record: Uint8Array, name?: string) => Promise<InspectOutcome>
  exportRecord: (k51: string) => Promise<Uint8Array>
  /** Republish every name that has a record (on start, then every `intervalMs`). */
  startKeepAlive: (intervalMs?: number) => void
  stopKeepAlive: () => void
  /** The key store and name state (for other services that publish, like backups). */
  stores: () => Promise<{ keys: KeyStore, state: NameStateStore }>
  /**
   * Holds and serves records for connected peers on this node (Kademlia PUT_VALUE/GET_VALUE), for
   * names this page follows: a connected tab's publish then reaches this one at once.
   */
  serveRecords: (libp2p: Pick<Libp2p, 'handle' | 'unhandle'>) => Promise<void>
}

const DEFAULT_KEEPALIVE_MS = 4 * 60 * 60 * 1000
/**
 * Keep-alive re-signs a name (new sequence, fresh lifetime) only when its record expires within
 * this; before that it sends the same signed record again, so starting the page does not move
 * the sequence.
 */
const RESIGN_WITHIN_MS = 24 * 60 * 60 * 1000
const EXPIRY_WARNING_MS = 12 * 60 * 60 * 1000

/**
 * `libp2p` gives the running node (undefined while it starts): records then also go to, and come
 * from, the connected peers that hold records (the local network peer, DHT servers).
 */
export function createNamesService (settings: () => NetworkSettings | undefined, libp2p: () => RecordNetwork | undefined = () => undefined, init: NamesServiceInit = {}): NamesService {
  const rows = createStore<NameRow[]>([])
  const keepAlive = createStore<KeepAliveStatus>({ rounds: 0, resent: 0, resigned: 0, failed: 0, keeperFailures: [] })
  const background = createStore<BackgroundStatus>({ records: 0, validRecords: 0 })
  const keeping = createRecordKeeping({ routers: () => settings()?.delegatedRouters ?? [], ...init })
  interface Parts { keys: KeyStore, state: NameStateStore, ipns: typeof IpnsModule }
  let parts: Promise<Parts> | undefined
  let timer: ReturnType<typeof setInterval> | undefined

  const load = async (): Promise<Parts> => {
    parts ??= (async () => {
      const [ipns, { IDBDatastore }] = await Promise.all([import('../ipfs/ipns/index.js'), import('datastore-idb')])
      const datastore = new IDBDatastore('cairn/ipns/v1')
      await datastore.open()
      const keys = new ipns.KeyStore({ datastore, protection: { cryptoKey: await deviceKey('ipns-keys') } })
      const state = new ipns.NameStateStore(datastore)
      // Records other services sign with these keys (a backup's checkpoints) are kept for the
      // background worker too: the newest record of every name this device holds the key of.
      const observe = state.observe.bind(state)
      state.observe = async (name, sequence, record, options) => {
        const next = await observe(name, sequence, record, options)
        if (record !== undefined && next.lastRecord === record && (await keys.list()).some(k => k.name.k51 === name.k51)) {
          const v = await ipns.inspectRecord(record, { name, now: 0 })
          if (v.valid) await keeping.remember(name.k51, record, v)
        }
        return next
      }
      return { keys, state, ipns }
    })()
    return parts
  }
  const targets = (): RecordTargets => ({ routers: settings()?.delegatedRouters ?? [], libp2p: libp2p() })

  const service: NamesService = {
    rows,
    keepAlive,
    background,
    async checkBackground () {
      background.set(await keeping.status())
    },
    async refresh () {
      const { keys, state, ipns } = await load()
      const now = Date.now()
      const out: NameRow[] = []
      for (const k of await keys.list()) {
        const row: NameRow = { keyName: k.keyName, k51: k.name.k51, bafz: k.name.bafz, createdAt: k.createdAt, expiresSoon: false }
        const s = await state.get(k.name)
        if (s?.lastRecord !== undefined) {
          const v = await ipns.inspectRecord(s.lastRecord, { name: k.name.k51, now: 0 })
          if (v.valid) {
            row.value = v.value
            row.sequence = v.sequence.toString()
            row.expiresAt = v.expiresAt
            row.expiresSoon = ipns.expiresSoon(v, now, EXPIRY_WARNING_MS)
          }
        }
        out.push(row)
      }
      rows.set(out.sort((a, b) => a.keyName.localeCompare(b.keyName)))
    },
    async create (keyName) { const { keys } = await load(); await keys.generate(keyName); await service.refresh() },
    async rename (from, to) { const { keys } = await load(); await keys.rename(from, to); await service.refresh() },
    async remove (keyName) {
      const { keys } = await load()
      const { name } = await keys.get(keyName)
      await keys.remove(keyName)
      // The background worker must not keep a name alive whose key is gone.
      await keeping.forget(name.k51).catch((err: unknown) => { console.warn('Cairn: the kept record could not be removed', err) })
      await service.refresh()
    },
    async exportKey (keyName) { const { keys } = await load(); return keys.exportKey(keyName) },
    async importKey (keyName, protobuf) { const { keys } = await load(); await keys.importKey(keyName, protobuf); await service.refresh() },

    async publish (keyName, value, options) {
      const { keys, state, ipns } = await load()
      const info = await keys.get(keyName)
      // One publisher per name across tabs, so two tabs never sign the same sequence number.
      const result = await withWebLock(`ipns:${info.name.k51}`, options.signal, async () => ipns.publish({ keys, state, ...targets() }, keyName, value, {
        lifetimeMs: ipns.parseDuration(options.lifetime),
        ttlMs: ipns.parseDuration(options.ttl),
        ...(options.signal !== undefined ? { signal: options.signal } : {})
      }))
      const signed = await ipns.validateRecord(result.record, { name: result.name })
      const handed = await keeping.keep(result.name.k51, result.record, signed, options)
      await service.refresh()
      void service.checkBackground().catch(() => {})
      return {
        name: result.name.k51,
        value: result.value,
        sequence: result.sequence.toString(),
        validity: signed.validity,
        expiresAt: signed.expiresAt,
        ttlMs: signed.ttlMs,
        results: result.results,
        keepers: handed
      }
    },

    async resolve (name, options = {}) {
      const { state, ipns } = await load()
      const doh = settings()?.dohResolver ?? ''
      const r = await ipns.resolve({ state, ...targets() }, name, {
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        ...(doh !== '' ? { dohEndpoint: doh } : {})
      })
      return { value: r.value, sequence: r.sequence?.toString(), validity: r.validity, ttlMs: r.ttlMs }
    },

    async inspect (record, name) {
      const { ipns } = await load()
      const v = await ipns.inspectRecord(record, name !== undefined && name !== '' ? { name } : {})
      if (v.valid) return { valid: true, name: v.name.k51, value: v.value, sequence: v.sequence.toString(), validity: v.validity, ttlMs: v.ttlMs, keyType: v.keyType }
      return { valid: false, reason: v.reason, message: v.message }
    },

    async exportRecord (k51) {
      const { state, ipns } = await load()
      return ipns.exportRecord(state, k51)
    },

    startKeepAlive (intervalMs = DEFAULT_KEEPALIVE_MS) {
      const run = async (): Promise<void> => {
        const { keys, state, ipns } = await load()
        const where = targets()
        if (where.routers.length === 0 && where.libp2p === undefined) return
        const round = { resent: 0, resigned: 0, failed: 0, keeperFailures: [] as string[] }
        for (const k of await keys.list()) {
          const s = await state.get(k.name)
          if (s?.lastRecord === undefined) continue
          try {
            const r = await withWebLock(`ipns:${k.name.k51}`, undefined, async () => ipns.republish({ keys, state, ...targets() }, k.keyName, { resignWithinMs: RESIGN_WITHIN_MS }))
            if (r.resent) round.resent++
            else round.resigned++
            const signed = await ipns.validateRecord(r.record, { name: r.name })
            const handed = await keeping.keep(r.name.k51, r.record, signed, { signal: AbortSignal.timeout(60_000) })
            round.keeperFailures.push(...handed.filter(h => !h.ok).map(h => `${h.keeper}: ${h.error ?? 'failed'}`))
          } catch (err) {
            round.failed++
            console.warn(`Republishing ${k.keyName} failed:`, err)
          }
        }
        await service.refresh()
        keepAlive.update(prev => ({ rounds: prev.rounds + 1, lastRoundAt: Date.now(), ...round }))
      }
      service.stopKeepAlive()
      void service.checkBackground().catch((err: unknown) => { console.warn('Cairn: background keep-alive could not be checked', err) })
      void run()
      timer = setInterval(() => { void run() }, intervalMs)
    },
    async stores () {
      const { keys, state } = await load()
      return { keys, state }
    },
    async serveRecords (libp2p) {
      const { state, ipns } = await load()
      let pending: ReturnType<typeof setTimeout> | undefined
      await ipns.serveRecords(libp2p, ipns.heldRecords(state, {
        // a peer pushed a newer record for a name shown here: show it (coalesced)
        onTaken: () => { pending ??= setTimeout(() => { pending = undefined; void service.refresh() }, 100) }
      }))
    },
    stopKeepAlive () {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
    }
  }
  return service
}
