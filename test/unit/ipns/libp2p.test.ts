/**
 * IPNS over libp2p with real peers on loopback: records pushed with Kademlia PUT_VALUE to a real
 * `@libp2p/kad-dht` server and to the local network peer, read back with GET_VALUE, and refused
 * when they would roll a name back or are invalid.
 */
import '../../../src/node/polyfill-node20.js'
import '../../../src/node/network/websocket-node20.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { ipnsSelector } from 'ipns/selector'
import { ipnsValidator } from 'ipns/validator'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getIPNSRecord } from '../../../src/ipfs/ipns/delegated.js'
import { PublishFailedError, RoutingError } from '../../../src/ipfs/ipns/errors.js'
import { KeyStore } from '../../../src/ipfs/ipns/keys.js'
import { heldRecords } from '../../../src/ipfs/ipns/held-records.js'
import { KAD_PROTOCOL, MessageType, serveRecords, decodeKadMessage, encodeKadMessage, getRecordFromPeer, putRecordToPeer, recordPeers } from '../../../src/ipfs/ipns/libp2p.js'
import { publish, pushRecord } from '../../../src/ipfs/ipns/publish.js'
import { NameStateStore, createRecord } from '../../../src/ipfs/ipns/records.js'
import { resolve } from '../../../src/ipfs/ipns/resolve.js'
import { nameFromPublicKey } from '../../../src/ipfs/ipns/names.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import type { PublishComponents } from '../../../src/ipfs/ipns/publish.js'
import type { RecordNetwork } from '../../../src/ipfs/ipns/libp2p.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

const CID_A = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
const CID_B = 'bafybeib3ffl2teiqdncv3mkz4r23b5ctrwkzrrhctdbne6iboayxuxk5ui'

async function components (libp2p: RecordNetwork | undefined, routers: string[] = []): Promise<PublishComponents> {
  const keys = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'pw' }, scryptLogN: 10 })
  return { keys, state: new NameStateStore(new MemoryDatastore()), routers, libp2p }
}

/** Waits until identify has told `from` that `to` speaks the Kademlia protocol. */
async function waitForRecordPeer (from: RecordNetwork, to: PeerId): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if ((await recordPeers(from)).some(p => p.equals(to))) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`${to.toString()} never showed up as a record peer`)
}

describe('the Kademlia message codec', () => {
  it('round-trips the fields it writes and counts peer lists it only reads', () => {
    const key = new TextEncoder().encode('/ipns/abc')
    const record = Uint8Array.from([1, 2, 3])
    const decoded = decodeKadMessage(encodeKadMessage({ type: MessageType.GET_VALUE, key, record, clusterLevel: 3 }))
    expect(decoded).toEqual({ type: MessageType.GET_VALUE, key, record, clusterLevel: 3, closer: 0, providers: 0 })
    // A message with two `closer` PeerInfo entries (field 8) and an unknown varint field 20.
    const withPeers = Uint8Array.from([0x08, 0x04, 0x42, 0x02, 0x0a, 0x00, 0x42, 0x00, 0xa0, 0x01, 0x07])
    expect(decodeKadMessage(withPeers)).toMatchObject({ type: MessageType.FIND_NODE, closer: 2, providers: 0 })
    expect(() => decodeKadMessage(Uint8Array.from([0x12, 0x05, 0x01]))).toThrow(/truncated/)
  })
})

describe('records to and from a real @libp2p/kad-dht server', () => {
  let server: Libp2p
  let publisher: TestPeer
  let reader: TestPeer

  beforeAll(async () => {
    server = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        ping: ping(),
        dht: kadDHT({ clientMode: false, protocol: KAD_PROTOCOL, peerInfoMapper: passthroughMapper, validators: { ipns: ipnsValidator }, selectors: { ipns: ipnsSelector } })
      }
    })
    publisher = await createTestPeer()
    reader = await createTestPeer()
    for (const peer of [publisher, reader]) {
      await peer.libp2p.dial(server.getMultiaddrs()[0]!)
      await waitForRecordPeer(peer.libp2p, server.peerId)
    }
  })

  afterAll(async () => {
    await publisher?.stop()
    await reader?.stop()
    await server?.stop()
  })

  it('publishes with PUT_VALUE to the connected DHT server, and another peer resolves it with GET_VALUE', async () => {
    const c = await components(publisher.libp2p)
    const key = await c.keys.generate('dht')
    const first = await publish(c, 'dht', CID_A)
    expect(first.results).toEqual([{ target: `/p2p/${server.peerId.toString()}`, ok: true }])
    const r = await resolve(await components(reader.libp2p), key.name.k51)
    expect(r.value).toBe(`/ipfs/${CID_A}`)
    expect(r.sequence).toBe(0n)
    expect(r.steps[0]).toMatchObject({ kind: 'ipns', source: `/p2p/${server.peerId.toString()}` })

    // The publisher's next sequence starts from what the peer holds, even with fresh local state.
    const again = await components(publisher.libp2p)
    again.keys = c.keys
    const second = await publish(again, 'dht', CID_B)
    expect(second.sequence).toBe(1n)
    expect((await resolve(await components(reader.libp2p), key.name.k51)).value).toBe(`/ipfs/${CID_B}`)
  })

  it('says "none" for a name the server does not hold, and the DHT server refuses an invalid record', async () => {
    const stranger = await generateKeyPair('Ed25519')
    const name = nameFromPublicKey(stranger.publicKey)
    expect(await getRecordFromPeer(reader.libp2p, server.peerId, name.routingKey)).toBeUndefined()
    const record = await createRecord(stranger, `/ipfs/${CID_A}`, { sequence: 5n })
    const tampered = Uint8Array.from(record)
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0xff
    await expect(putRecordToPeer(publisher.libp2p, server.peerId, name.routingKey, tampered)).rejects.toThrow(/refused the record/)
    expect(await getRecordFromPeer(reader.libp2p, server.peerId, name.routingKey)).toBeUndefined()
  })
})

describe('records over libp2p through the local network peer', () => {
  let net: LocalNetwork
  let a: TestPeer
  let b: TestPeer

  beforeAll(async () => {
    net = await startLocalNetwork()
    a = await createTestPeer()
    b = await createTestPeer()
    for (const peer of [a, b]) {
      await peer.libp2p.dial(multiaddr(net.relayAddrs[0]!))
      await waitForRecordPeer(peer.libp2p, net.peerId)
    }
  })

  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    await net?.stop()
  })

  it('stores a record pushed over libp2p where Routing V1 HTTP serves it, and a second peer resolves it over libp2p', async () => {
    const c = await components(a.libp2p)
    const key = await c.keys.generate('site')
    const first = await publish(c, 'site', CID_A)
    expect(first.results).toEqual([{ target: `/p2p/${net.peerId.toString()}`, ok: true }])
    expect(net.router.describeRecord({ toMultihash: () => key.name.multihash })).toBe(`/ipfs/${CID_A}`)
    // the same record over HTTP
    expect(await getIPNSRecord(net.routingUrl, key.name)).toEqual(first.record)
    const second = await publish(c, 'site', CID_B)
    expect(second.sequence).toBe(1n)
    const r = await resolve(await components(b.libp2p), `/ipns/${key.name.bafz}/docs`)
    expect(r.value).toBe(`/ipfs/${CID_B}/docs`)
    expect(r.sequence).toBe(1n)

    // Carrying the older record back is refused by the peer (it would roll the name back), and
    // so is a tampered one; the peer keeps sequence 1.
    await expect(putRecordToPeer(b.libp2p, net.peerId, key.name.routingKey, first.record)).rejects.toBeInstanceOf(RoutingError)
    const tampered = Uint8Array.from(second.record)
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0xff
    await expect(putRecordToPeer(b.libp2p, net.peerId, key.name.routingKey, tampered)).rejects.toThrow(/refused the record/)
    const held = await getRecordFromPeer(b.libp2p, net.peerId, key.name.routingKey)
    expect(held).toEqual(second.record)
    // carrying the current record again is accepted (a republisher's push)
    const pushed = await pushRecord(await components(b.libp2p), second.record, { name: key.name })
    expect(pushed.results).toEqual([{ target: `/p2p/${net.peerId.toString()}`, ok: true }])
  })

  it('fails clearly when no connected peer takes records', async () => {
    const lonely = await createTestPeer()
    try {
      const c = await components(lonely.libp2p)
      await c.keys.generate('alone')
      const err = await publish(c, 'alone', CID_A).catch(e => e)
      expect(err).toBeInstanceOf(PublishFailedError)
      expect((err as PublishFailedError).results).toEqual([{ target: 'libp2p', ok: false, error: expect.stringMatching(/no connected peer takes IPNS records/) }])
      const stranger = nameFromPublicKey((await generateKeyPair('Ed25519')).publicKey)
      await expect(resolve(await components(lonely.libp2p), stranger.k51)).rejects.toThrow(/no connected peer holds records/)
    } finally {
      await lonely.stop()
    }
  })
})

describe('a browser-style node holding records for its peers (heldRecords over the name state)', () => {
  let holder: TestPeer
  let pusher: TestPeer
  let holderState: NameStateStore
  const taken: bigint[] = []

  beforeAll(async () => {
    holder = await createTestPeer({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    holderState = new NameStateStore(new MemoryDatastore())
    await serveRecords(holder.libp2p, heldRecords(holderState, { maxCached: 2, onTaken: (_name, seq) => { taken.push(seq) } }))
    pusher = await createTestPeer()
    await pusher.libp2p.dial(holder.libp2p.getMultiaddrs()[0]!)
    await waitForRecordPeer(pusher.libp2p, holder.libp2p.peerId)
  })

  afterAll(async () => {
    await pusher?.stop()
    await holder?.stop()
  })

  it('takes a followed name\'s newer record into the name state, and refuses rollbacks and invalid records', async () => {
    const c = await components(pusher.libp2p)
    const key = await c.keys.generate('followed')
    await holderState.observe(key.name, 0n) // the holder resolved this name before
    const first = await publish(c, 'followed', CID_A, { sequence: 3n })
    expect(first.results).toEqual([{ target: `/p2p/${holder.libp2p.peerId.toString()}`, ok: true }])
    expect(taken).toEqual([3n])
    const state = await holderState.get(key.name)
    expect(state?.highestSequence).toBe(3n)
    expect(state?.lastRecord).toEqual(first.record)

    const stale = await createRecord(await c.keys.privateKey('followed'), `/ipfs/${CID_B}`, { sequence: 2n })
    await expect(putRecordToPeer(pusher.libp2p, holder.libp2p.peerId, key.name.routingKey, stale)).rejects.toThrow(/refused the record/)
    const tampered = Uint8Array.from(first.record)
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0xff
    await expect(putRecordToPeer(pusher.libp2p, holder.libp2p.peerId, key.name.routingKey, tampered)).rejects.toThrow(/refused the record/)
    expect((await holderState.get(key.name))?.highestSequence).toBe(3n)
    expect(await getRecordFromPeer(pusher.libp2p, holder.libp2p.peerId, key.name.routingKey)).toEqual(first.record)
  })

  it('keeps records of names it does not follow in a bounded memory cache, never in the name state', async () => {
    const c = await components(pusher.libp2p)
    const names = []
    for (const keyName of ['x', 'y', 'z']) {
      const key = await c.keys.generate(keyName)
      names.push(key.name)
      await publish(c, keyName, CID_A)
      expect(await holderState.get(key.name)).toBeUndefined()
    }
    // maxCached 2: the first name was dropped, the last two are served
    expect(await getRecordFromPeer(pusher.libp2p, holder.libp2p.peerId, names[0]!.routingKey)).toBeUndefined()
    for (const name of names.slice(1)) {
      const r = await resolve(await components(pusher.libp2p), name.k51)
      expect(r.value).toBe(`/ipfs/${CID_A}`)
    }
  })
})
