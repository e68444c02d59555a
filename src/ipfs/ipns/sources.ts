/**
 * Where a name's records come from and go to: the delegated routers (HTTP), the connected peers
 * that hold records (libp2p, `./libp2p.ts`), and a Helia node's routing. Publish and resolve ask
 * the same list, so the sequence a publish starts from is the one a resolver would see.
 */
import { withTimeout } from '../../core/options.js'
import { DEFAULT_REQUEST_TIMEOUT_MS, getIPNSRecord, putIPNSRecord } from './delegated.js'
import { getRecordFromPeer, putRecordToPeer, recordPeers } from './libp2p.js'
import type { HttpOptions } from './delegated.js'
import type { RecordNetwork } from './libp2p.js'
import type { IPNSName } from './names.js'
import type { Routing } from '@helia/interface'

/** What publish and resolve work with. */
export interface RecordTargets {
  /** Delegated Routing V1 HTTP endpoints, e.g. `http://127.0.0.1:8080`. */
  routers: string[]
  /**
   * A libp2p node: records go to (PUT_VALUE) and come from (GET_VALUE) every connected peer that
   * speaks the Kademlia protocol, each one a target of its own (`/p2p/<peer id>`).
   */
  libp2p?: RecordNetwork | undefined
  /**
   * A Helia node: records also go out (and come in) through `helia.routing` (via @helia/ipns's
   * `heliaIPNSRouting`), i.e. its libp2p routers and any HTTP routers it was built with. Note: a
   * light node with no DHT accepts the put without sending it anywhere.
   */
  helia?: { routing: Pick<Routing, 'put' | 'get'> } | undefined
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined
}

/** The target name for Helia routing, and for "no connected peer takes records", in results and events. */
export const LIBP2P_TARGET = 'libp2p'

export interface TransferOptions {
  signal?: AbortSignal | undefined
  /** Per-request timeout in ms. @default 30 s */
  timeoutMs?: number | undefined
}

export interface RecordSource {
  source: string
  /** The record bytes, or undefined when this source has none. */
  get: () => Promise<Uint8Array | undefined>
}

export interface RecordSink {
  target: string
  /** Resolves with the HTTP status for routers; throws when the target did not take the record. */
  put: () => Promise<number | undefined>
}

/** Helia's routing says "not found" as NotFoundError, or as GetFailedError wrapping only those. */
function isNotFound (err: unknown): boolean {
  const e = err as { name?: string, errors?: unknown[] }
  if (e?.name === 'NotFoundError') return true
  return e?.name === 'GetFailedError' && Array.isArray(e.errors) && e.errors.every(x => (x as { name?: string })?.name === 'NotFoundError')
}

export function peerTarget (peer: { toString: () => string }): string {
  return `/p2p/${peer.toString()}`
}

async function withDeadline <T> (options: TransferOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal, clear } = withTimeout(options.signal, options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
  try {
    return await fn(signal)
  } finally {
    clear()
  }
}

export function hasTargets (targets: RecordTargets): boolean {
  return targets.routers.length > 0 || targets.libp2p !== undefined || targets.helia !== undefined
}

/** Every place to ask for `name`'s record. */
export async function recordSources (targets: RecordTargets, name: IPNSName, options: TransferOptions): Promise<RecordSource[]> {
  const http: HttpOptions = { signal: options.signal, timeoutMs: options.timeoutMs, fetch: targets.fetch }
  const sources: RecordSource[] = targets.routers.map(r => ({ source: r, get: async () => await getIPNSRecord(r, name, http) }))
  const libp2p = targets.libp2p
  if (libp2p !== undefined) {
    for (const peer of await recordPeers(libp2p)) {
      // each request has its own timeout (options.timeoutMs, else 10 s)
      sources.push({ source: peerTarget(peer), get: async () => await getRecordFromPeer(libp2p, peer, name.routingKey, options) })
    }
  }
  const helia = targets.helia
  if (helia !== undefined) {
    sources.push({
      source: LIBP2P_TARGET,
      get: async () => await withDeadline(options, async signal => {
        try {
          return await helia.routing.get(name.routingKey, { signal })
        } catch (err) {
          if (isNotFound(err)) return undefined
          throw err
        }
      })
    })
  }
  return sources
}

/** Every place to send `record` to; with libp2p but no record peer, a `libp2p` target that fails and says why. */
export async function recordSinks (targets: RecordTargets, name: IPNSName, record: Uint8Array, options: TransferOptions): Promise<RecordSink[]> {
  const http: HttpOptions = { signal: options.signal, timeoutMs: options.timeoutMs, fetch: targets.fetch }
  const sinks: RecordSink[] = targets.routers.map(target => ({ target, put: async () => await putIPNSRecord(target, name, record, http) }))
  const libp2p = targets.libp2p
  if (libp2p !== undefined) {
    const peers = await recordPeers(libp2p)
    for (const peer of peers) {
      sinks.push({ target: peerTarget(peer), put: async () => { await putRecordToPeer(libp2p, peer, name.routingKey, record, options); return undefined } })
    }
    if (peers.length === 0 && targets.helia === undefined) {
      sinks.push({
        target: LIBP2P_TARGET,
        put: async () => { throw new Error('no connected peer takes IPNS records (none speaks /ipfs/kad/1.0.0); connect to the local network peer or a DHT server') }
      })
    }
  }
  const helia = targets.helia
  if (helia !== undefined) {
    sinks.push({
      target: LIBP2P_TARGET,
      put: async () => {
        const { heliaIPNSRouting } = await import('@helia/ipns')
        await withDeadline(options, async signal => { await heliaIPNSRouting(helia.routing as Routing).put(name.routingKey, record, { signal }) })
        return undefined
      }
    })
  }
  return sinks
}
