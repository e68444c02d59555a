/**
 * The Helia node factory, shared by the page and the CLI.
 *
 * It uses Helia's light composition (createHeliaLight + withLibp2pLight + withBitswap + withHTTP)
 * so that no default the user did not configure is bundled or contacted: every peer, relay,
 * router, gateway and STUN server comes from `NetworkSettings`.
 */
import { createHeliaLight } from 'helia'
import { withLibp2pLight } from '@helia/libp2p'
import { withBitswap } from '@helia/bitswap'
import { withHTTP } from '@helia/http'
import { webSockets } from '@libp2p/websockets'
import { webRTC } from '@libp2p/webrtc'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, identifyPush } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { bootstrap } from '@libp2p/bootstrap'
import { FaultTolerance, contentRoutingSymbol } from '@libp2p/interface'
import { gatewayBroker } from './fetch/gateway-broker.js'
import type { ContentRouting } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { HeliaWithLibp2p } from '@helia/libp2p'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import type { NetworkSettings } from '../core/settings.js'

export interface CairnServices extends Record<string, unknown> {
  identify: Identify
  identifyPush: unknown
  ping: Ping
}

export type CairnNode = HeliaWithLibp2p<CairnServices>

export interface CreateNodeInit {
  blockstore: Blockstore
  datastore: Datastore
  settings: NetworkSettings
  /** Listen for incoming WebRTC connections (browser peers). Default true. */
  webrtc?: boolean
  /** Extra listen addresses (e.g. a Node peer's own websocket listener). */
  listen?: string[]
}

/**
 * libp2p throws `NoContentRoutersError` from provide/cancelReprovide when it has no content
 * router, and Helia calls cancelReprovide on every block delete (so garbage collection would fail).
 * This node finds content through delegated routers and bitswap, not the DHT: announce nothing.
 */
class NoAnnounceContentRouting implements ContentRouting {
  readonly [contentRoutingSymbol] = this
  readonly [Symbol.toStringTag] = 'cairn/no-announce-content-routing'
  async provide (): Promise<void> {}
  async cancelReprovide (): Promise<void> {}
  async * findProviders (): AsyncGenerator<never> {}
  async put (): Promise<void> {}
  async get (): Promise<Uint8Array> { throw Object.assign(new Error('Not found'), { name: 'NotFoundError' }) }
}

function iceServers (urls: string[]): RTCIceServer[] {
  return urls.map(u => ({ urls: u }))
}

/** The relays' own addresses (a trailing `/p2p-circuit` dropped). */
function relayAddrs (settings: Pick<NetworkSettings, 'relays'>): string[] {
  return settings.relays.map(r => r.replace(/\/p2p-circuit$/, ''))
}

/** What the node dials and keeps connected: the bootstrap peers and the relays. */
export function peersToDial (settings: Pick<NetworkSettings, 'bootstrap' | 'relays'>): string[] {
  return [...new Set([...settings.bootstrap, ...relayAddrs(settings)])]
}

/** Build a node (not started). Call `await node.start()`. */
export function createNode (init: CreateNodeInit): CairnNode {
  const { settings } = init
  const useWebRTC = init.webrtc ?? true
  const relays = relayAddrs(settings)
  // Relays are dialled like bootstrap peers; one `/p2p-circuit` listener per relay then finds a
  // relay among the connected peers and reserves a slot on it. (Listening on a specific relay's
  // address instead would hold up start() until the reservation completes.)
  const dialList = peersToDial(settings)
  const peerDiscovery: Array<ReturnType<typeof bootstrap>> = []
  if (dialList.length > 0) {
    peerDiscovery.push(bootstrap({ list: dialList, timeout: 0 }))
  }
  const listen = [
    ...relays.map(() => '/p2p-circuit'),
    ...(useWebRTC ? ['/webrtc'] : []),
    ...(init.listen ?? [])
  ]
  const transports = [
    webSockets(),
    circuitRelayTransport({ reservationCompletionTimeout: 10_000 }),
    ...(useWebRTC ? [webRTC({ rtcConfiguration: { iceServers: iceServers(settings.stunServers) } })] : [])
  ]

  const light = createHeliaLight({ blockstore: init.blockstore, datastore: init.datastore })
  const withNet = withLibp2pLight(light, {
    addresses: { listen },
    transports,
    transportManager: { faultTolerance: FaultTolerance.NO_FATAL },
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    // The browser's default gater refuses ws:// and private addresses. Every address here was put
    // in Settings by the user (or is a loopback peer in the local profile), so allow them.
    connectionGater: { denyDialMultiaddr: async () => false },
    services: {
      identify: identify(),
      identifyPush: identifyPush(),
      ping: ping(),
      noAnnounce: () => new NoAnnounceContentRouting()
    }
  }) as unknown as CairnNode
  const node = withBitswap(withNet)
  // The configured gateways are reached through Cairn's own broker (prefix kept, every block
  // verified, failures named per gateway), not through Helia's fallback router; Helia's gateway
  // client stays only for HTTP providers that routing finds.
  node.addBlockBroker(gatewayBroker(settings.gateways))
  return withHTTP(node, {
    delegatedRouters: settings.delegatedRouters,
    recursiveGateways: [],
    allowInsecure: true,
    allowLocal: true
  }) as CairnNode
}
