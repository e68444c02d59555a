/**
 * A loopback-only Node Helia client peer for tests: WebSockets + circuit-relay transport, noise,
 * yamux, identify, ping, bitswap, in-memory stores. No bootstrap, no discovery, no delegated
 * routers, no gateways. Dial a local network's `relayAddrs` to connect it.
 *
 * @example
 * const net = await startLocalNetwork()
 * const a = await createTestPeer({ listen: ['/p2p-circuit'] })
 * await a.libp2p.dial(multiaddr(net.relayAddrs[0]))
 * const addr = await waitForCircuitAddress(a)   // …/p2p-circuit/p2p/<a>
 */
import '../polyfill-node20.js'
import './websocket-node20.js'
import { withBitswap } from '@helia/bitswap'
import { withHTTP } from '@helia/http'
import { withLibp2pLight } from '@helia/libp2p'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify, identifyPush } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'
import { AbortError } from '../../core/errors.js'
import type { AbortOptions } from '../../core/options.js'
import type { Router } from '@helia/interface'
import type { HeliaWithLibp2p } from '@helia/libp2p'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import type { ComponentLogger, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'

export type TestPeerServices = {
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
}

export type TestPeer = HeliaWithLibp2p<TestPeerServices>

export interface TestPeerOptions {
  /** libp2p listen addresses. Default none; `['/p2p-circuit']` makes a relay reservation once a relay is dialled. */
  listen?: string[]
  privateKey?: PrivateKey
  blockstore?: Blockstore
  /**
   * A Routing V1 URL (the local network's `routingUrl`): adds Helia's delegated HTTP router, as the
   * page does, for providers, peers and IPNS. No gateways are added.
   */
  routingUrl?: string
  /** Extra Helia routers. */
  routers?: Router[]
  logger?: ComponentLogger
  /** Start the node before returning (default true). */
  start?: boolean
}

/** Creates (and by default starts) a loopback-only Helia peer. The caller stops it with `helia.stop()`. */
export async function createTestPeer (options: TestPeerOptions = {}): Promise<TestPeer> {
  let light = createHeliaLight({
    blockstore: options.blockstore ?? new MemoryBlockstore(),
    datastore: new MemoryDatastore(),
    routers: options.routers ?? [],
    ...(options.logger !== undefined ? { logger: options.logger } : {})
  })
  if (options.routingUrl !== undefined) light = withHTTP(light, { delegatedRouters: [options.routingUrl], recursiveGateways: [] })
  const helia = withBitswap(withLibp2pLight(light, {
    ...(options.privateKey !== undefined ? { privateKey: options.privateKey } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    addresses: { listen: options.listen ?? [] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify(), identifyPush: identifyPush(), ping: ping() }
  })) as TestPeer
  if (options.start !== false) await helia.start()
  return helia
}

/**
 * Resolves with the peer's first `/p2p-circuit` address (ending in `/p2p/<peer>`) once its relay
 * reservation is in place. Pass a `signal` (e.g. `AbortSignal.timeout(10_000)`).
 */
export async function waitForCircuitAddress (helia: TestPeer, options: AbortOptions = {}): Promise<Multiaddr> {
  const find = (): Multiaddr | undefined => helia.libp2p.getMultiaddrs().find(ma => ma.toString().includes('/p2p-circuit'))
  const found = find()
  if (found !== undefined) return found
  return await new Promise<Multiaddr>((resolve, reject) => {
    const onUpdate = (): void => {
      const ma = find()
      if (ma === undefined) return
      cleanup()
      resolve(ma)
    }
    const onAbort = (): void => {
      cleanup()
      reject(new AbortError('Gave up waiting for a relay reservation. Dial the local network relay first, and listen on /p2p-circuit.', { cause: options.signal?.reason }))
    }
    const cleanup = (): void => {
      helia.libp2p.removeEventListener('self:peer:update', onUpdate)
      options.signal?.removeEventListener('abort', onAbort)
    }
    if (options.signal?.aborted === true) { onAbort(); return }
    helia.libp2p.addEventListener('self:peer:update', onUpdate)
    options.signal?.addEventListener('abort', onAbort, { once: true })
  })
}
