/**
 * The peer keeper against the local network over real libp2p on loopback: pin, the status query
 * (absent / pinned, and `unknown` from a peer older than the query or one that does not answer
 * it), and an IPNS record handed over with PUT_VALUE.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nameFromPublicKey } from '../../../src/ipfs/ipns/names.js'
import { createRecord } from '../../../src/ipfs/ipns/records.js'
import { PIN_PROTOCOL, PeerKeeper, decodePeerPinRequest, servePinRequests } from '../../../src/ipfs/push/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { makeDag } from './helpers.js'
import type { KeeperEvents } from '../../../src/ipfs/push/index.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'

let net: LocalNetwork
let client: TestPeer
const peers: TestPeer[] = []

beforeAll(async () => {
  net = await startLocalNetwork({ pinBlockTimeoutMs: 2000 })
  client = await createTestPeer()
  peers.push(client)
  await client.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
})

afterAll(async () => {
  await Promise.all(peers.map(async p => { await p.stop() }))
  await net?.stop()
})

/** A listening peer the client is connected to. */
async function connectedPeer (): Promise<TestPeer> {
  const p = await createTestPeer({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  peers.push(p)
  await client.libp2p.dial(p.libp2p.getMultiaddrs()[0] ?? multiaddr(''), { signal: AbortSignal.timeout(10_000) })
  return p
}

describe('PeerKeeper', () => {
  it('asks whether a DAG is held without pinning it, pins it, then reports it pinned', async () => {
    const keeper = new PeerKeeper({ libp2p: client.libp2p, peer: net.peerId })
    expect(keeper.id).toBe(`peer:${net.peerId.toString()}`)
    expect(keeper.holdsRecords).toBe(true)
    const dag = await makeDag(client.blockstore, 'peer-keeper')
    expect(await keeper.status(dag.root, { signal: AbortSignal.timeout(10_000) })).toEqual({ state: 'absent' })
    expect(net.pins.list()).toHaveLength(0) // the query pinned nothing
    for (const cid of dag.cids) expect(await net.helia.blockstore.has(cid)).toBe(false)

    const events: KeeperEvents[] = []
    const result = await keeper.pushDag(dag.root, { blocks: client.blockstore, name: 'backup', signal: AbortSignal.timeout(30_000), onProgress: e => events.push(e) })
    expect(result).toEqual({ state: 'pinned', detail: `${dag.cids.length} blocks` })
    expect(events[0]).toEqual({ type: 'push:keeper:status', detail: { state: 'queued' } })
    expect(events.at(-1)?.detail).toEqual(result)
    for (const cid of dag.cids) expect(await net.helia.blockstore.has(cid)).toBe(true)
    expect(await keeper.status(dag.root, { signal: AbortSignal.timeout(10_000) })).toEqual({ state: 'pinned', detail: `${dag.cids.length} blocks` })
  })

  it('reports unknown when the peer cannot answer a status query', async () => {
    const dag = await makeDag(client.blockstore, 'peer-keeper-unknown', { branches: 1, leavesPerBranch: 1 })

    // a peer running the pin protocol as it was before the status query: it knows only "pin"
    const older = await connectedPeer()
    await older.libp2p.handle(PIN_PROTOCOL, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 64 * 1024 })
      try {
        decodePeerPinRequest((await lp.read()).subarray())
        await lp.write(new TextEncoder().encode(JSON.stringify({ status: 'refused', reason: 'not pinning today' })))
      } catch (err) {
        await lp.write(new TextEncoder().encode(JSON.stringify({ status: 'failed', reason: `Bad request: ${(err as Error).message}` })))
      }
      await stream.close()
    }, { runOnLimitedConnection: true })
    const old = await new PeerKeeper({ libp2p: client.libp2p, peer: older.libp2p.peerId }).status(dag.root, { signal: AbortSignal.timeout(10_000) })
    expect(old.state).toBe('unknown')
    expect(old.detail).toMatch(/Bad request: A pin request needs "type": "pin"/)

    // a current peer whose handler does not answer queries declines them
    const quiet = await connectedPeer()
    await servePinRequests(quiet.libp2p, async (_request, send) => { send({ status: 'refused', reason: 'no' }) })
    expect(await new PeerKeeper({ libp2p: client.libp2p, peer: quiet.libp2p.peerId }).status(dag.root, { signal: AbortSignal.timeout(10_000) }))
      .toEqual({ state: 'unknown', detail: 'the peer cannot say: This peer does not answer status queries.' })

    // a peer that does not speak the protocol at all
    const stranger = await connectedPeer()
    expect((await new PeerKeeper({ libp2p: client.libp2p, peer: stranger.libp2p.peerId }).status(dag.root, { signal: AbortSignal.timeout(10_000) })).state).toBe('unknown')
  })

  it('hands a signed IPNS record to the peer, which then serves it', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = nameFromPublicKey(key.publicKey)
    const record = await createRecord(key, '/ipfs/bafkqaddwgevxmmraojswg33smq', { sequence: 3n })
    const keeper = new PeerKeeper({ libp2p: client.libp2p, peer: net.peerId })
    expect(await net.router.find(name.routingKey)).toBeUndefined()
    await keeper.pushRecord(name.k51, record, { signal: AbortSignal.timeout(10_000) })
    expect(await net.router.find(name.routingKey)).toEqual(record)

    // a record that belongs to another name is not sent
    const other = nameFromPublicKey((await generateKeyPair('Ed25519')).publicKey)
    await expect(keeper.pushRecord(other.k51, record)).rejects.toThrow(/signature does not verif/)
    expect(await net.router.find(other.routingKey)).toBeUndefined()
  })
})
