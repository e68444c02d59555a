/**
 * The local network for CLI tests, with one plain test peer kept connected: the routing server
 * answers an unknown IPNS name promptly only with a peer connected (see serve.test.ts).
 */
import { multiaddr } from '@multiformats/multiaddr'
import { startLocalNetwork } from '../../src/node/network/index.js'
import { createTestPeer } from '../../src/node/network/test-peer.js'
import type { LocalNetwork } from '../../src/node/network/index.js'

export async function startNetworkWithBystander (): Promise<{ net: LocalNetwork, stop: () => Promise<void> }> {
  const net = await startLocalNetwork()
  const bystander = await createTestPeer()
  try {
    await bystander.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
  } catch (err) {
    await bystander.stop()
    await net.stop()
    throw err
  }
  return { net, stop: async () => { await bystander.stop(); await net.stop() } }
}
