/**
 * Keepers: push any CID (a Files item, a pin, a backup root) or a signed IPNS record to the
 * keepers in Settings (Kubo, Cluster, pinning services, S3 buckets) and to connected peers that
 * offer to pin, and ask "where is this kept?".
 *
 * - `list` gives the keepers of the active profile, then the pinning peers.
 * - `push` runs every chosen keeper at once, with a status per keeper (waiting, running, done,
 *   failed) reported through `onProgress`; failures are statuses, not thrown, so a Retry pushes the
 *   failed ones again. The shared `blocks` lock is held meanwhile: no garbage collection removes a
 *   block while a CAR is being read.
 * - `check` asks each keeper's `status` (uploading nothing), stores the answers per CID
 *   (platform/kept-store.ts) and returns them; `kept` returns the stored answers at once.
 * - `pushRecordToKeepers` / `recordKeepers` hand a name's signed record to the keepers that hold
 *   records (Kubo), for the Names page.
 * @module
 */
import { createStore } from './store.js'
import { NodeNotReadyError } from './errors.js'
import { InvalidInputError, isAbortError } from '../core/errors.js'
import { emit, withTimeout } from '../core/options.js'
import { openKeptStore } from '../platform/kept-store.js'
import { withWebLock } from '../platform/locks.js'
import type { Store } from './store.js'
import type { NodeService } from './node-service.js'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../core/options.js'
import type { KeeperSettings, NetworkSettings } from '../core/settings.js'
import type { KeptAnswer, KeptStore } from '../platform/kept-store.js'
import type { Keeper, KeeperKind, KeptStatus } from '../ipfs/push/keeper.js'

export type { KeptAnswer } from '../platform/kept-store.js'

/** A keeper as the views list it. */
export interface KeeperRow {
  id: string
  kind: KeeperKind
  /** The name in Settings, or the peer's short ID. */
  name: string
  /** What the keeper is, e.g. `Kubo at 127.0.0.1:5001`. */
  label: string
  holdsRecords: boolean
}

export type TargetState = 'waiting' | 'running' | 'done' | 'failed'

/** One keeper's part in a push. */
export interface TargetStatus {
  keeper: KeeperRow
  state: TargetState
  message: string
  /** Bytes of the CAR uploaded so far (uploading keepers). */
  bytes: number
  /** What the keeper said at the end. */
  kept?: KeptStatus | undefined
}

export type KeepersPushEvents =
  /** Every target's status, each time one changes. */
  ProgressEvent<'keepers:push:status', TargetStatus[]>

export type KeepersCheckEvents =
  /** One keeper's answer, as it arrives. */
  ProgressEvent<'keepers:check:answer', KeptAnswer>

export interface KeepersPushOptions extends OperationOptions<KeepersPushEvents> {
  /** A label for the pin in the keepers' pin lists. */
  name?: string | undefined
}

export interface RecordPushResult {
  keeper: KeeperRow
  ok: boolean
  message: string
}

export interface KeepersService {
  /** The answers stored per CID, refreshed by `check` and `push`: views subscribe to it. */
  answers: Store<ReadonlyMap<string, KeptAnswer[]>>
  list: (options?: AbortOptions) => Promise<KeeperRow[]>
  push: (cid: string, keeperIds: string[], options?: KeepersPushOptions) => Promise<TargetStatus[]>
  check: (cid: string, options?: OperationOptions<KeepersCheckEvents>) => Promise<KeptAnswer[]>
  /** The last answers stored for `cid` (no keeper is asked). */
  kept: (cid: string) => Promise<KeptAnswer[]>
  recordKeepers: (options?: AbortOptions) => Promise<KeeperRow[]>
  pushRecordToKeepers: (name: string, record: Uint8Array, options?: AbortOptions & { onStatus?: (results: RecordPushResult[]) => void }) => Promise<RecordPushResult[]>
}

/** How long one keeper gets to say whether it holds a CID. */
const STATUS_TIMEOUT_MS = 20_000
/** How long one keeper gets to take a record. */
const RECORD_TIMEOUT_MS = 30_000

const toRow = (k: Keeper, name: string, label = k.label): KeeperRow => ({ id: k.id, kind: k.kind, name, label, holdsRecords: k.holdsRecords })

const KIND_LABELS: Record<KeeperSettings['kind'], string> = { kubo: 'Kubo', cluster: 'IPFS Cluster', psa: 'Pinning service', s3: 'S3 bucket' }

/** What a configured keeper is and where, e.g. `Kubo at 127.0.0.1:5001`, `S3 bucket photos at s3.example`. */
function describe (s: KeeperSettings): string {
  let host = s.endpoint
  try { host = new URL(s.endpoint).host } catch { /* shown as written */ }
  return s.kind === 's3' ? `${KIND_LABELS.s3} ${s.bucket ?? ''} at ${host}` : `${KIND_LABELS[s.kind] ?? s.kind} at ${host}`
}

export function createKeepersService (node: NodeService, settings: () => Pick<NetworkSettings, 'keepers'> | undefined): KeepersService {
  const answers = createStore<ReadonlyMap<string, KeptAnswer[]>>(new Map())
  let storeP: Promise<KeptStore> | undefined
  const store = async (): Promise<KeptStore> => { storeP ??= openKeptStore(); return storeP }
  const mods = async () => {
    const [keepers, peerPin, cid, ma] = await Promise.all([
      import('../ipfs/push/keepers.js'), import('../ipfs/push/peer-pin.js'), import('multiformats/cid'), import('@multiformats/multiaddr')
    ])
    return { ...keepers, listPinningPeers: peerPin.listPinningPeers, CID: cid.CID, multiaddr: ma.multiaddr }
  }
  const libp2p = () => {
    try { return node.node().libp2p } catch (err) { if (err instanceof NodeNotReadyError) return undefined; throw err }
  }

  /** Every keeper of the active profile, then the connected peers that offer to pin. */
  async function keepers (options: AbortOptions = {}): Promise<Array<{ keeper: Keeper, row: KeeperRow }>> {
    const m = await mods()
    const lp = libp2p()
    const out: Array<{ keeper: Keeper, row: KeeperRow }> = []
    for (const s of settings()?.keepers ?? []) {
      const keeper = m.createKeeper(s, {
        dial: lp === undefined
          ? undefined
          : async (addrs, o) => { await Promise.any(addrs.map(async a => lp.dial(m.multiaddr(a.toString()), o))) }
      })
      out.push({ keeper, row: toRow(keeper, s.name, describe(s)) })
    }
    if (lp !== undefined) {
      for (const peer of await m.listPinningPeers(lp, options)) {
        const keeper = m.peerKeeper(lp, peer)
        const id = peer.toString()
        out.push({ keeper, row: toRow(keeper, `Peer …${id.slice(-8)}`) })
      }
    }
    return out
  }

  /** Answers of keepers still in Settings, and of peers (they may only be disconnected). */
  const visible = (list: KeptAnswer[]): KeptAnswer[] => {
    const configured = new Set((settings()?.keepers ?? []).map((k: KeeperSettings) => `${k.kind}:${k.name}`))
    return list.filter(a => configured.has(a.keeperId) || a.keeperId.startsWith('peer:'))
  }
  const publish = (cid: string, list: KeptAnswer[]): KeptAnswer[] => {
    const shown = visible(list)
    const next = new Map(answers.get())
    next.set(cid, shown)
    answers.set(next)
    return shown
  }
  async function remember (cid: string, fresh: KeptAnswer[]): Promise<KeptAnswer[]> {
    return publish(cid, await (await store()).put(cid, fresh))
  }

  async function parse (cid: string): Promise<InstanceType<Awaited<ReturnType<typeof mods>>['CID']>> {
    const { CID } = await mods()
    try {
      return CID.parse(cid.trim())
    } catch (err) {
      throw new InvalidInputError(`"${cid}" is not a CID: keepers are given a CID such as bafy… or Qm….`, { cause: err })
    }
  }

  const service: KeepersService = {
    answers,

    async list (options = {}) {
      return (await keepers(options)).map(k => k.row)
    },

    async push (cid, keeperIds, options = {}) {
      const root = await parse(cid)
      const n = node.node()
      const chosen = (await keepers(options)).filter(k => keeperIds.includes(k.row.id))
      const missing = keeperIds.filter(id => !chosen.some(k => k.row.id === id))
      if (missing.length > 0) throw new InvalidInputError(`No keeper ${missing.join(', ')} any more: it was removed from Settings, or the peer disconnected. Refresh the list and choose again.`)
      const statuses: TargetStatus[] = chosen.map(k => ({ keeper: k.row, state: 'waiting', message: '', bytes: 0 }))
      const report = (): void => { emit(options, 'keepers:push:status', statuses.map(s => ({ ...s }))) }
      const update = (i: number, patch: Partial<TargetStatus>): void => {
        statuses[i] = { ...statuses[i] as TargetStatus, ...patch }
        report()
      }
      report()
      const origins = n.libp2p.getMultiaddrs().map(String)
      await withWebLock('blocks', options.signal, async () => {
        await Promise.all(chosen.map(async ({ keeper }, i) => {
          update(i, { state: 'running', message: 'Starting…' })
          try {
            const kept = await keeper.pushDag(root, {
              blocks: n.blockstore,
              origins,
              name: options.name,
              signal: options.signal,
              onProgress: (evt) => {
                if (evt.type === 'push:keeper:upload') update(i, { bytes: evt.detail.bytes, message: `Uploaded ${evt.detail.blocks} blocks` })
                if (evt.type === 'push:keeper:status') update(i, { message: `${keeper.label} says: ${evt.detail.state}${evt.detail.detail !== undefined ? ` (${evt.detail.detail})` : ''}` })
              }
            })
            update(i, { state: kept.state === 'failed' ? 'failed' : 'done', kept, message: `${kept.state}${kept.detail !== undefined ? `: ${kept.detail}` : ''}` })
            await remember(cid, [{ keeperId: keeper.id, label: statuses[i]!.keeper.name, state: kept.state, detail: kept.detail, at: Date.now() }])
          } catch (err) {
            if (isAbortError(err) && options.signal?.aborted === true) update(i, { state: 'failed', message: 'Cancelled.' })
            else update(i, { state: 'failed', message: (err as Error).message })
          }
        }))
      }, 'shared')
      options.signal?.throwIfAborted()
      return statuses
    },

    async check (cid, options = {}) {
      const root = await parse(cid)
      const all = await keepers(options)
      const fresh = await Promise.all(all.map(async ({ keeper, row }): Promise<KeptAnswer> => {
        const t = withTimeout(options.signal, STATUS_TIMEOUT_MS)
        let answer: KeptAnswer
        try {
          const st = await keeper.status(root, { signal: t.signal })
          answer = { keeperId: keeper.id, label: row.name, state: st.state, detail: st.detail, at: Date.now() }
        } catch (err) {
          options.signal?.throwIfAborted()
          answer = { keeperId: keeper.id, label: row.name, state: 'error', detail: (err as Error).message, at: Date.now() }
        } finally {
          t.clear()
        }
        emit(options, 'keepers:check:answer', answer)
        return answer
      }))
      return await remember(cid, fresh)
    },

    async kept (cid) {
      return publish(cid, await (await store()).get(cid))
    },

    async recordKeepers (options = {}) {
      return (await keepers(options)).filter(k => k.keeper.holdsRecords).map(k => k.row)
    },

    async pushRecordToKeepers (name, record, options = {}) {
      const targets = (await keepers(options)).filter(k => k.keeper.holdsRecords)
      const results: RecordPushResult[] = targets.map(k => ({ keeper: k.row, ok: false, message: 'Sending…' }))
      options.onStatus?.(results.map(r => ({ ...r })))
      await Promise.all(targets.map(async ({ keeper }, i) => {
        const t = withTimeout(options.signal, RECORD_TIMEOUT_MS)
        try {
          await keeper.pushRecord(name, record, { signal: t.signal })
          results[i] = { ...results[i]!, ok: true, message: 'Holds the record.' }
        } catch (err) {
          results[i] = { ...results[i]!, ok: false, message: (err as Error).message }
        } finally {
          t.clear()
          options.onStatus?.(results.map(r => ({ ...r })))
        }
      }))
      options.signal?.throwIfAborted()
      return results
    }
  }
  return service
}
