/**
 * Clients that know only the local network's routing URL, as the page does: Helia's own delegated
 * HTTP router finds blocks and IPNS records through the network peer.
 */
import { ipns } from '@helia/ipns'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer, waitForCircuitAddress } from '../../../src/node/network/test-peer.js'
import { collect, rawBlock } from './helpers.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'

let net: LocalNetwork
const peers: TestPeer[] = []

beforeAll(async () => {
  net = await startLocalNetwork()
})

afterAll(async () => {
  await Promise.all(peers.map(async p => { await p.stop() }))
  await net?.stop()
})

async function peer (options: Parameters<typeof createTestPeer>[0]): Promise<TestPeer> {
  const p = await createTestPeer(options)
  peers.push(p)
  return p
}

describe('finding content through the local network', () => {
  it('a block held only by one connected client is found and fetched by a client that only has the routing URL', async () => {
    const holder = await peer({ listen: ['/p2p-circuit'] })
    await holder.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
    await waitForCircuitAddress(holder, { signal: AbortSignal.timeout(10_000) })
    const block = await rawBlock('only the holder has this ' + Math.random())
    await holder.blockstore.put(block.cid, block.bytes)

    const seeker = await peer({ routingUrl: net.routingUrl })
    expect(seeker.libp2p.getConnections()).toHaveLength(0)
    const got = await collect(seeker.blockstore.get(block.cid, { signal: AbortSignal.timeout(20_000) }))
    expect(got).toEqual(block.bytes)
    // the seeker reached the network peer by the address the routing server handed out
    expect(seeker.libp2p.getConnections(net.peerId).length).toBeGreaterThan(0)

    // the lookup pulled the block to the network peer and recorded the holder as a provider,
    // with the circuit address it announced
    expect(await net.helia.blockstore.has(block.cid)).toBe(true)
    const res = await fetch(`${net.httpUrl}/routing/v1/providers/${block.cid.toString()}`, { headers: { accept: 'application/json' } })
    const body = await res.json() as { Providers: Array<{ ID: string, Addrs: string[] }> }
    const ids = body.Providers.map(p => p.ID)
    expect(ids).toContain(net.peerId.toString())
    expect(ids).toContain(holder.libp2p.peerId.toString())
    const holderEntry = body.Providers.find(p => p.ID === holder.libp2p.peerId.toString())
    expect(holderEntry?.Addrs.some(a => a.includes('/p2p-circuit'))).toBe(true)
  })

  it('an IPNS name published by one client resolves on another', async () => {
    const publisher = await peer({ routingUrl: net.routingUrl })
    const resolver = await peer({ routingUrl: net.routingUrl })
    const { cid } = await rawBlock('named content')

    const published = await ipns(publisher).publish('cairn-test-key', cid, { signal: AbortSignal.timeout(10_000) })
    const name = published.publicKey.toCID()
    // the network peer stored it
    expect(net.router.describeRecord(published.publicKey)).toBe(`/ipfs/${cid.toString()}`)

    const values: string[] = []
    for await (const result of ipns(resolver).resolve(name, { signal: AbortSignal.timeout(10_000), nocache: true })) {
      values.push(result.value)
    }
    expect(values).toContain(`/ipfs/${cid.toString()}`)
  })

  it('resolving a name nobody published fails with a not-found error, not a timeout', async () => {
    const resolver = await peer({ routingUrl: net.routingUrl })
    const stranger = await generateKeyPair('Ed25519')
    const attempt = async (): Promise<void> => {
      for await (const _ of ipns(resolver).resolve(stranger.publicKey.toCID().toString(), { signal: AbortSignal.timeout(20_000), nocache: true })) { /* nothing expected */ }
    }
    const err = await attempt().then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).toBe('RecordNotFoundError')
  })
})
