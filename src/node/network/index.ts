/**
 * The local network (Node only): one Helia/libp2p peer on loopback that lets browser tabs find each
 * other with no internet. It is a WebSockets listener with a circuit-relay v2 server, a bitswap
 * peer, a Routing V1 HTTP server (IPNS, providers, peers) backed by an in-memory router that also
 * takes and serves IPNS records over libp2p (Kademlia PUT_VALUE/GET_VALUE), a
 * trustless gateway for raw blocks, and `/cairn-local.json` describing all of it.
 *
 * Nothing here reaches beyond the given host: no bootstrap, no peer discovery, no delegated
 * routers, no public gateways.
 */
import '../polyfill-node20.js'
import './websocket-node20.js'
import { randomBytes } from 'node:crypto'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify, identifyPush } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'
import { AbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { exportCar } from './car.js'
import { NetworkStartError, RecordRefusedError } from './errors.js'
import { startHttpServer } from './http-server.js'
import { OriginAllowList } from './cors.js'
import { serveRecords } from '../../ipfs/ipns/libp2p.js'
import { servePinRequests } from '../../ipfs/push/peer-pin.js'
import { LocalRouter, REFUSED } from './local-router.js'
import { loadOrCreateKeyFile } from './peer-key.js'
import { PinJobs } from './pin-jobs.js'
import { pinRequestHandler } from './pin-protocol.js'
import { PINNING_API_PREFIX } from './pinning-api.js'
import { CLUSTER_API_PREFIX } from './cluster-api.js'
import type { LocalNetworkInfo } from './http-server.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { HeliaWithLibp2p } from '@helia/libp2p'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import type { ComponentLogger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { FastifyInstance } from 'fastify'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

export { LocalRouter } from './local-router.js'
export { PinJobs } from './pin-jobs.js'
export type { PinJob, PinJobRequest, PinJobState } from './pin-jobs.js'
export { DEFAULT_MAX_CAR_BYTES, PINNING_API_PREFIX } from './pinning-api.js'
export { OriginAllowList, appOrigins, normalizeOrigin } from './cors.js'
export { InvalidOriginError, KeyFileError, NetworkStartError, RecordRefusedError, UnsupportedRecordError } from './errors.js'
export type { LocalNetworkInfo } from './http-server.js'

export type LocalNetworkServices = {
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
  relay: CircuitRelayService
}

export type LocalNetworkHelia = HeliaWithLibp2p<LocalNetworkServices>

export type LocalNetworkEvents =
  | ProgressEvent<'network:libp2p:started', { peerId: string, relayAddrs: string[] }>
  | ProgressEvent<'network:http:listening', { httpUrl: string }>
  | ProgressEvent<'network:peer:connect', { peerId: string }>
  | ProgressEvent<'network:peer:disconnect', { peerId: string }>
  | ProgressEvent<'network:ipns:put', { peer: string, ok: boolean, error?: string | undefined }>

export interface LocalNetworkOptions extends OperationOptions<LocalNetworkEvents> {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** WebSockets port; 0 (default) picks a free one. */
  wsPort?: number
  /** HTTP port (routing, gateway, cairn-local.json); 0 (default) picks a free one. */
  httpPort?: number
  /** A fixed identity. Takes precedence over `keyFile`. */
  privateKey?: PrivateKey
  /** File holding the identity; created on first use. Gives a stable peer id across restarts. */
  keyFile?: string
  /** Blocks the peer holds and serves. Default: a fresh in-memory blockstore. */
  blockstore?: Blockstore
  /**
   * When a provider lookup comes in for a block this peer does not hold, first try to fetch it
   * from connected peers over bitswap (for at most `pullTimeoutMs`), and record the peer that sent
   * it as a provider. This is what lets a tab find a block another tab added: both are connected
   * here, neither to the other. Default true.
   */
  pullOnLookup?: boolean
  /** Default 5000 ms. */
  pullTimeoutMs?: number
  /** libp2p/Helia debug logger (e.g. `defaultLogger()` from `@libp2p/logger`). */
  logger?: ComponentLogger
  /**
   * Answer `/cairn/pin/1.0.0` requests by fetching and pinning the DAG (default true). When false
   * the protocol is still spoken, and every request is declined with a reason.
   */
  acceptPinRequests?: boolean
  /**
   * Bearer token of the Pinning Service API at `<httpUrl>/pinning`. Default: a random one per
   * start. It is published in cairn-local.json, which only `allowedOrigins` can read from a page.
   */
  pinningToken?: string
  /**
   * Origins of the app's pages (`http://127.0.0.1:8080`): only these may read cairn-local.json
   * (the pinning token) and use the pinning API from a browser. More can be added once known with
   * `allowOrigin`. Default: none (the gateway and routing answer every origin regardless).
   */
  allowedOrigins?: string[]
  /** Largest CAR accepted per upload by the pinning service. Default 8 MiB. */
  maxCarBytes?: number
  /** A block no connected peer sends within this long fails a pin request. Default 60 s. */
  pinBlockTimeoutMs?: number
  /** Largest request body of the Kubo RPC and Cluster subsets (streamed, not held). Default 64 MiB. */
  keeperMaxUploadBytes?: number
}

export interface LocalNetwork {
  peerId: PeerId
  /** Full dialable addresses: `/ip4/127.0.0.1/tcp/<port>/ws/p2p/<id>`. */
  relayAddrs: string[]
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:<port>`: routing, gateway and cairn-local.json. */
  httpUrl: string
  /** Routing V1 base URL (same server as `httpUrl`). */
  routingUrl: string
  /** Trustless gateway base URL (same server as `httpUrl`). */
  gatewayUrl: string
  /** What `GET /cairn-local.json` returns. */
  info: LocalNetworkInfo
  helia: LocalNetworkHelia
  router: LocalRouter
  /** Pin requests (from the pin protocol and the Pinning Service API) and their status. */
  pins: PinJobs
  /** The Pinning Service API endpoint (`<httpUrl>/pinning`) and its bearer token. */
  pinningService: { endpoint: string, token: string }
  /** Lets pages from `origin` read cairn-local.json and use the pinning API; returns it normalised. */
  allowOrigin: (origin: string) => string
  /** Turns answering pin-protocol requests on or off (declined with a reason when off). */
  setAcceptPinRequests: (accept: boolean) => void
  /** Closes the HTTP server, then Helia and libp2p. Safe to call twice. */
  stop: () => Promise<void>
}

function hostPart (host: string): string {
  return host.includes(':') ? `/ip6/${host}` : `/ip4/${host}`
}

function urlHost (host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

function checkAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortError('Starting the local network was cancelled.', { cause: signal.reason })
}

function checkPort (name: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new NetworkStartError(`${name} must be a whole number from 0 to 65535 (0 picks a free port); got ${port}.`)
  }
}

const DEFAULT_PULL_TIMEOUT_MS = 5000

/** Exempt from libp2p's per-host inbound rate limit and connection pruning. */
const LOOPBACK_NETWORKS = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128']

/** Fetches a block from connected peers (one attempt per CID at a time), recording who sent it. */
function puller (helia: LocalNetworkHelia, router: LocalRouter, timeoutMs: number): (cid: CID) => Promise<void> {
  const inFlight = new Map<string, Promise<void>>()
  return async (cid) => {
    if (helia.libp2p.getConnections().length === 0) return
    const key = cid.multihash.toString()
    let pending = inFlight.get(key)
    if (pending === undefined) {
      pending = (async () => {
        try {
          const chunks = helia.blockstore.get(cid, {
            signal: AbortSignal.timeout(timeoutMs),
            onProgress: (evt: { type: string, detail: unknown }) => {
              if (evt.type !== 'bitswap:block') return
              const detail = evt.detail as { cid: CID, sender: PeerId }
              router.addProvider(cid, detail.sender)
            }
          })
          for await (const _ of chunks) { /* drain: the block is now stored */ }
        } catch {
          // nobody connected has it: the lookup answers without this peer
        } finally {
          inFlight.delete(key)
        }
      })()
      inFlight.set(key, pending)
    }
    await pending
  }
}

/** Starts the local network peer. Resolves once libp2p and the HTTP server both listen. */
export async function startLocalNetwork (options: LocalNetworkOptions = {}): Promise<LocalNetwork> {
  const host = options.host ?? '127.0.0.1'
  const wsPort = options.wsPort ?? 0
  const httpPort = options.httpPort ?? 0
  checkPort('wsPort', wsPort)
  checkPort('httpPort', httpPort)
  checkAborted(options.signal)
  const allowedOrigins = new OriginAllowList(options.allowedOrigins ?? [])

  const privateKey = options.privateKey ?? (options.keyFile !== undefined ? await loadOrCreateKeyFile(options.keyFile) : undefined)
  const blockstore = options.blockstore ?? new MemoryBlockstore()
  const router = new LocalRouter({ blockstore })

  const helia = withBitswap(withLibp2pLight(createHeliaLight({
    blockstore,
    datastore: new MemoryDatastore(),
    routers: [router],
    ...(options.logger !== undefined ? { logger: options.logger } : {})
  }), {
    ...(privateKey !== undefined ? { privateKey } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    addresses: { listen: [`${hostPart(host)}/tcp/${wsPort}/ws`] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    // Every tab on this machine connects from 127.0.0.1, and libp2p otherwise refuses more than
    // 5 inbound connections per second from one host: a few tabs opened at once would be turned away.
    connectionManager: { allow: LOOPBACK_NETWORKS },
    services: {
      identify: identify(),
      identifyPush: identifyPush(),
      ping: ping(),
      relay: circuitRelayServer({ reservations: { maxReservations: 128, applyDefaultLimit: false } })
    }
  })) as LocalNetworkHelia

  let app: FastifyInstance | undefined
  let stopped = false
  const pins = new PinJobs({ helia, ...(options.pinBlockTimeoutMs !== undefined ? { blockTimeoutMs: options.pinBlockTimeoutMs } : {}) })
  let acceptPins = options.acceptPinRequests ?? true
  const token = options.pinningToken ?? randomBytes(24).toString('base64url')
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    pins.stop()
    await app?.close()
    await helia.stop()
  }

  try {
    try {
      await helia.start()
    } catch (err) {
      throw new NetworkStartError(`Could not start the local network peer on ${host}:${wsPort}: ${(err as Error).message}. If the port is in use, pick another with --ws-port (0 picks a free one).`, { cause: err })
    }
    const libp2p = helia.libp2p
    router.attach(libp2p)
    const peerId = libp2p.peerId
    const relayAddrs = libp2p.getMultiaddrs().map(ma => ma.toString()).filter(a => a.includes('/ws/'))
    emit(options, 'network:libp2p:started', { peerId: peerId.toString(), relayAddrs })
    checkAborted(options.signal)

    await servePinRequests(libp2p, pinRequestHandler(pins, () => acceptPins))
    // IPNS records pushed over libp2p (Kademlia PUT_VALUE) land in the same store as HTTP PUTs.
    await serveRecords(libp2p, {
      put: async (key, record) => {
        if (!await router.accept(key, record)) throw new RecordRefusedError(REFUSED)
      },
      get: async (key) => await router.find(key)
    }, {
      onProgress: (evt) => {
        if (evt.type === 'ipns:libp2p:put') emit(options, 'network:ipns:put', evt.detail)
      }
    })

    libp2p.addEventListener('peer:connect', (evt) => { emit(options, 'network:peer:connect', { peerId: evt.detail.toString() }) })
    libp2p.addEventListener('peer:disconnect', (evt) => { emit(options, 'network:peer:disconnect', { peerId: evt.detail.toString() }) })

    const ready: { info?: LocalNetworkInfo } = {}
    try {
      app = await startHttpServer({
        routing: helia.routing,
        records: router,
        blockstore,
        exportCar: (cid, opts) => exportCar(cid, { blockstore, getCodec: helia.getCodec, signal: opts.signal }),
        allowedOrigins,
        ...(options.pullOnLookup !== false ? { pull: puller(helia, router, options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS) } : {}),
        pinning: {
          jobs: pins,
          token,
          delegates: () => relayAddrs,
          blockstore: helia.blockstore,
          ...(options.maxCarBytes !== undefined ? { maxCarBytes: options.maxCarBytes } : {})
        },
        keeperApis: {
          token, helia, blockstore, router, peerId, addresses: () => relayAddrs,
          ...(options.keeperMaxUploadBytes !== undefined ? { maxUploadBytes: options.keeperMaxUploadBytes } : {})
        },
        info: () => {
          if (ready.info === undefined) throw new NetworkStartError('The local network is still starting; retry in a moment.')
          return ready.info
        }
      }, { host, port: httpPort })
    } catch (err) {
      throw new NetworkStartError(`Could not start the local network HTTP server on ${host}:${httpPort}: ${(err as Error).message}. If the port is in use, pick another with --http-port (0 picks a free one).`, { cause: err })
    }
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new NetworkStartError('The HTTP server did not report a TCP port. This is a bug; please report it.')
    const httpUrl = `http://${urlHost(host)}:${address.port}`
    const pinningService = { endpoint: `${httpUrl}${PINNING_API_PREFIX}`, token }
    const info: LocalNetworkInfo = {
      peerId: peerId.toString(), relayAddrs, routingUrl: httpUrl, gatewayUrl: httpUrl, pinningService,
      kuboRpc: { endpoint: httpUrl, token },
      cluster: { endpoint: `${httpUrl}${CLUSTER_API_PREFIX}`, token }
    }
    ready.info = info
    emit(options, 'network:http:listening', { httpUrl })
    checkAborted(options.signal)

    return {
      peerId,
      relayAddrs,
      httpUrl,
      routingUrl: httpUrl,
      gatewayUrl: httpUrl,
      info,
      helia,
      router,
      pins,
      pinningService,
      allowOrigin: (origin) => allowedOrigins.add(origin),
      setAcceptPinRequests: (accept) => { acceptPins = accept },
      stop
    }
  } catch (err) {
    await stop().catch(() => {})
    throw err
  }
}
