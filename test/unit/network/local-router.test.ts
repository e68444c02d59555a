/**
 * The in-memory router on its own (no libp2p): IPNS record rules, expiry, provider records.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core'
import { createIPNSRecord, marshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { UnsupportedRecordError } from '../../../src/node/network/errors.js'
import { LocalRouter } from '../../../src/node/network/local-router.js'
import { rawBlock } from './helpers.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

async function providersOf (router: LocalRouter, cid: Parameters<LocalRouter['findProviders']>[0]): Promise<string[]> {
  const out: string[] = []
  for await (const p of router.findProviders(cid)) out.push(p.id.toString())
  return out
}

/** Just enough of libp2p for the router: its id, its addresses, a peer store with one known peer. */
function fakeLibp2p (self: PeerId, known?: { id: PeerId, addr: string }): Pick<Libp2p, 'peerId' | 'getMultiaddrs' | 'peerStore'> {
  return {
    peerId: self,
    getMultiaddrs: () => [multiaddr(`/ip4/127.0.0.1/tcp/1234/ws/p2p/${self.toString()}`)],
    peerStore: {
      get: async (id: PeerId) => {
        if (known?.id.equals(id) !== true) throw new Error('not found')
        return { id, addresses: [{ multiaddr: multiaddr(known.addr), isCertified: false }] }
      },
      all: async () => known === undefined ? [] : [{ id: known.id, addresses: [{ multiaddr: multiaddr(known.addr), isCertified: false }] }]
    } as unknown as Libp2p['peerStore']
  }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('LocalRouter IPNS records', () => {
  it('refuses keys that are not /ipns/ keys', async () => {
    const router = new LocalRouter({ blockstore: new MemoryBlockstore() })
    await expect(router.put(new TextEncoder().encode('/pk/abc'), new Uint8Array([1]))).rejects.toBeInstanceOf(UnsupportedRecordError)
  })

  it('keeps the record with the highest sequence number, whatever the order of puts', async () => {
    const key = await generateKeyPair('Ed25519')
    const routingKey = multihashToIPNSRoutingKey(peerIdFromPrivateKey(key).toMultihash())
    const a = await rawBlock('a')
    const b = await rawBlock('b')
    const seq5 = marshalIPNSRecord(await createIPNSRecord(key, a.cid, 5n, 60_000))
    const seq3 = marshalIPNSRecord(await createIPNSRecord(key, b.cid, 3n, 60_000))
    const router = new LocalRouter({ blockstore: new MemoryBlockstore() })
    await router.put(routingKey, seq5)
    // The older one is refused (as over libp2p), not silently dropped.
    await expect(router.put(routingKey, seq3)).rejects.toMatchObject({ name: 'RecordRefusedError' })
    expect(await router.get(routingKey)).toEqual(seq5)
    expect(router.describeRecord(key.publicKey)).toBe(`/ipfs/${a.cid.toString()}`)
  })

  it('stops returning a record once its EOL has passed', async () => {
    const key = await generateKeyPair('Ed25519')
    const routingKey = multihashToIPNSRoutingKey(peerIdFromPrivateKey(key).toMultihash())
    const { cid } = await rawBlock('short-lived')
    const router = new LocalRouter({ blockstore: new MemoryBlockstore() })
    await router.put(routingKey, marshalIPNSRecord(await createIPNSRecord(key, cid, 1n, 60_000)))
    expect(router.recordCount).toBe(1)
    vi.useFakeTimers({ now: Date.now() + 120_000, toFake: ['Date'] })
    await expect(router.get(routingKey)).rejects.toThrow(/expired/)
    expect(router.recordCount).toBe(0)
  })
})

describe('LocalRouter providers and peers', () => {
  it('lists itself for blocks it holds, and recorded providers until their record expires', async () => {
    const blockstore = new MemoryBlockstore()
    const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const otherAddr = `/ip4/127.0.0.1/tcp/1234/ws/p2p/${self.toString()}/p2p-circuit`
    const router = new LocalRouter({ blockstore })
    const held = await rawBlock('held')
    const elsewhere = await rawBlock('elsewhere')
    await blockstore.put(held.cid, held.bytes)

    // before attach the router knows nobody, not even itself
    expect(await providersOf(router, held.cid)).toEqual([])
    router.attach(fakeLibp2p(self, { id: other, addr: otherAddr }))
    expect(await providersOf(router, held.cid)).toEqual([self.toCID().toString()])
    expect(await providersOf(router, elsewhere.cid)).toEqual([])

    router.addProvider(elsewhere.cid, other, 60_000)
    const found = []
    for await (const p of router.findProviders(elsewhere.cid)) found.push(p)
    expect(found.map(p => p.id.toString())).toEqual([other.toCID().toString()])
    expect(found[0]?.multiaddrs.map(String)).toEqual([otherAddr])

    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] })
    expect(await providersOf(router, elsewhere.cid)).toEqual([])
  })

  it('finds itself and known peers, and says NotFound for strangers', async () => {
    const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const router = new LocalRouter({ blockstore: new MemoryBlockstore() })
    router.attach(fakeLibp2p(self, { id: other, addr: '/ip4/127.0.0.1/tcp/9/ws' }))
    expect((await router.findPeer(self.toCID())).multiaddrs.length).toBe(1)
    expect((await router.findPeer(other.toCID())).multiaddrs.map(String)).toEqual(['/ip4/127.0.0.1/tcp/9/ws'])
    await expect(router.findPeer(stranger.toCID())).rejects.toMatchObject({ name: 'NotFoundError' })
  })
})
