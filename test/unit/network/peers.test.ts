/**
 * The local network's libp2p side, with real Node peers on 127.0.0.1: direct dial + ping +
 * bitswap both ways, and two clients talking through the circuit relay.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer, waitForCircuitAddress } from '../../../src/node/network/test-peer.js'
import { collect, rawBlock } from './helpers.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'

let net: LocalNetwork
const peers: TestPeer[] = []

async function peer (listen: string[] = []): Promise<TestPeer> {
  const p = await createTestPeer({ listen })
  peers.push(p)
  return p
}

beforeAll(async () => {
  net = await startLocalNetwork()
})

afterAll(async () => {
  await Promise.all(peers.map(async p => { await p.stop() }))
  await net?.stop()
})

describe('a client peer and the network peer', () => {
  it('dials the relay address, pings it, and exchanges blocks over bitswap both ways', async () => {
    const client = await peer()
    const relayAddr = multiaddr(net.relayAddrs[0] ?? '')
    const conn = await client.libp2p.dial(relayAddr, { signal: AbortSignal.timeout(10_000) })
    expect(conn.remotePeer.equals(net.peerId)).toBe(true)
    expect(conn.remoteAddr.toString()).toContain('/ws')

    const rtt = await client.libp2p.services.ping.ping(relayAddr, { signal: AbortSignal.timeout(10_000) })
    expect(rtt).toBeGreaterThanOrEqual(0)

    // network → client
    const held = await rawBlock('held by the network peer, fetched by the client')
    await net.helia.blockstore.put(held.cid, held.bytes)
    expect(await client.blockstore.has(held.cid)).toBe(false)
    const fetched = await collect(client.blockstore.get(held.cid, { signal: AbortSignal.timeout(10_000) }))
    expect(fetched).toEqual(held.bytes)

    // client → network
    const mine = await rawBlock('held by the client, fetched by the network peer')
    await client.blockstore.put(mine.cid, mine.bytes)
    expect(await net.helia.blockstore.has(mine.cid)).toBe(false)
    const pulled = await collect(net.helia.blockstore.get(mine.cid, { signal: AbortSignal.timeout(10_000) }))
    expect(pulled).toEqual(mine.bytes)
    // …and from then on the network peer provides it
    const res = await fetch(`${net.httpUrl}/routing/v1/providers/${mine.cid.toString()}`, { headers: { accept: 'application/json' } })
    const body = await res.json() as { Providers: Array<{ ID: string }> }
    expect(body.Providers.map(p => p.ID)).toContain(net.peerId.toString())
  })
})

describe('many tabs on one machine', () => {
  it('accepts a burst of connections from 127.0.0.1 (libp2p would rate-limit a single host to 5/s)', async () => {
    const clients = await Promise.all(Array.from({ length: 12 }, async () => await peer()))
    const relayAddr = multiaddr(net.relayAddrs[0] ?? '')
    const results = await Promise.allSettled(clients.map(async c => await c.libp2p.dial(relayAddr, { signal: AbortSignal.timeout(15_000) })))
    const failures = results.filter(r => r.status === 'rejected').map(r => String((r as PromiseRejectedResult).reason))
    expect(failures).toEqual([])
    await Promise.all(clients.map(async c => { await c.stop() }))
  })
})

describe('two clients through the circuit relay', () => {
  it('reserve a slot, dial each other via /p2p-circuit, get an unlimited connection and exchange a block', async () => {
    const a = await peer(['/p2p-circuit'])
    const b = await peer(['/p2p-circuit'])
    const relayAddr = multiaddr(net.relayAddrs[0] ?? '')
    await a.libp2p.dial(relayAddr, { signal: AbortSignal.timeout(10_000) })
    await b.libp2p.dial(relayAddr, { signal: AbortSignal.timeout(10_000) })
    const bCircuit = await waitForCircuitAddress(b, { signal: AbortSignal.timeout(10_000) })
    await waitForCircuitAddress(a, { signal: AbortSignal.timeout(10_000) })
    expect(bCircuit.toString()).toBe(`${net.relayAddrs[0] ?? ''}/p2p-circuit/p2p/${b.libp2p.peerId.toString()}`)

    const conn = await a.libp2p.dial(bCircuit, { signal: AbortSignal.timeout(10_000) })
    expect(conn.remotePeer.equals(b.libp2p.peerId)).toBe(true)
    expect(conn.remoteAddr.toString()).toContain('/p2p-circuit')
    // applyDefaultLimit: false → relayed connections carry no data/duration limit
    expect(conn.limits).toBeUndefined()

    const rtt = await a.libp2p.services.ping.ping(b.libp2p.peerId, { signal: AbortSignal.timeout(10_000) })
    expect(rtt).toBeGreaterThanOrEqual(0)

    const block = await rawBlock('from b to a, through the relay')
    await b.blockstore.put(block.cid, block.bytes)
    const got = await collect(a.blockstore.get(block.cid, { signal: AbortSignal.timeout(10_000) }))
    expect(got).toEqual(block.bytes)
    // the relay only relayed: it never held the block
    expect(await net.helia.blockstore.has(block.cid)).toBe(false)

    // b's circuit address is what the relay hands out for b via /routing/v1/peers
    const res = await fetch(`${net.httpUrl}/routing/v1/peers/${b.libp2p.peerId.toCID().toString()}`, { headers: { accept: 'application/json' } })
    const body = await res.json() as { Peers: Array<{ ID: string, Addrs: string[] }> }
    expect(body.Peers[0]?.ID).toBe(b.libp2p.peerId.toString())
    expect(body.Peers[0]?.Addrs.some(x => x.includes('/p2p-circuit'))).toBe(true)
  })
})
