/**
 * Asking the local network peer to pin over `/cairn/pin/1.0.0`: it fetches the DAG from the
 * requester over bitswap and pins it with real Helia pins. Real libp2p peers on loopback.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { localSettings } from '../../../src/core/settings.js'
import { createNode } from '../../../src/ipfs/node.js'
import { isPinned } from '../../../src/ipfs/pins/index.js'
import { PIN_PROTOCOL, PeerPinFailedError, PeerPinRefusedError, listPinningPeers, requestPeerPin } from '../../../src/ipfs/push/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { makeDag, until } from './helpers.js'
import type { PeerPinEvents } from '../../../src/ipfs/push/index.js'
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

describe('the pin protocol', () => {
  it('lists the network peer among connected peers that agree to pin', async () => {
    await until(async () => (await listPinningPeers(client.libp2p)).some(p => p.equals(net.peerId)))
    expect(net.helia.libp2p.getProtocols()).toContain(PIN_PROTOCOL)
  })

  it('pins a DAG held only by the requester: the network peer fetches every block and pins the root', async () => {
    const dag = await makeDag(client.blockstore, 'peer-pin')
    for (const cid of dag.cids) expect(await net.helia.blockstore.has(cid)).toBe(false)
    const events: PeerPinEvents[] = []
    const result = await requestPeerPin(client.libp2p, net.peerId, dag.root, { name: 'backup', signal: AbortSignal.timeout(30_000), onProgress: e => events.push(e) })
    expect(result.blocks).toBe(dag.cids.length)
    expect(result.peer).toBe(net.peerId.toString())
    expect(await isPinned(net.helia, dag.root)).toBe(true)
    expect(await net.helia.pins.isPinned(dag.root)).toBe(true)
    for (const cid of dag.cids) {
      expect(await net.helia.blockstore.has(cid)).toBe(true)
      expect(await net.helia.pins.isPinned(cid)).toBe(true)
    }
    const types = events.map(e => e.type)
    expect(types[0]).toBe('push:peer-pin:queued')
    expect(types.at(-1)).toBe('push:peer-pin:pinned')
    // the request is listed as pinned by the network peer's pin requests, with its name
    const job = net.pins.list().find(j => j.cid.equals(dag.root))
    expect(job?.status).toBe('pinned')
    expect(job?.name).toBe('backup')

    // asking again is quick and reports the same pin
    const again = await requestPeerPin(client.libp2p, net.peerId, dag.root, { signal: AbortSignal.timeout(10_000) })
    expect(again.blocks).toBeGreaterThan(0)
  })

  it('fails with the reason when no connected peer has the data', async () => {
    const missing = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('nobody has this')))
    const err = await requestPeerPin(client.libp2p, net.peerId, missing, { signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PeerPinFailedError)
    expect((err as Error).message).toMatch(/could not pin .*No connected peer sent block .*keep its tab open/)
    expect(await isPinned(net.helia, missing)).toBe(false)
  })

  it('is declined politely when pin requests are off, and refused by a peer that does not speak it', async () => {
    const dag = await makeDag(client.blockstore, 'declined', { branches: 1, leavesPerBranch: 1 })
    net.setAcceptPinRequests(false)
    try {
      const err = await requestPeerPin(client.libp2p, net.peerId, dag.root, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PeerPinRefusedError)
      expect((err as Error).message).toMatch(/declined to pin .*pinning service instead/)
    } finally {
      net.setAcceptPinRequests(true)
    }
    expect(await isPinned(net.helia, dag.root)).toBe(false)

    const other = await createTestPeer({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    peers.push(other)
    const addr = other.libp2p.getMultiaddrs()[0]
    if (addr === undefined) throw new Error('no listen address')
    const err = await requestPeerPin(client.libp2p, addr, dag.root, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PeerPinRefusedError)
    expect((err as Error).message).toMatch(/does not accept pin requests/)
    expect((await listPinningPeers(client.libp2p)).map(p => p.toString())).not.toContain(other.libp2p.peerId.toString())
  })

  it('works from the page\'s own node composition (createNode with the local profile)', async () => {
    const node = createNode({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), settings: localSettings(net.info), webrtc: false })
    await node.start()
    try {
      await until(async () => (await listPinningPeers(node.libp2p)).some(p => p.equals(net.peerId)), 20_000)
      const dag = await makeDag(node.blockstore, 'from-the-page-node')
      const result = await requestPeerPin(node.libp2p, net.peerId, dag.root, { signal: AbortSignal.timeout(30_000) })
      expect(result.blocks).toBe(dag.cids.length)
      expect(await isPinned(net.helia, dag.root)).toBe(true)
    } finally {
      await node.stop()
    }
  })

  it('stops when cancelled, and the network peer drops the request', async () => {
    const dag = await makeDag(client.blockstore, 'cancelled')
    const controller = new AbortController()
    const pending = requestPeerPin(client.libp2p, net.peerId, dag.root, {
      signal: controller.signal,
      onProgress: (e) => { if (e.type === 'push:peer-pin:queued') controller.abort() }
    })
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    await until(() => !net.pins.list().some(j => j.cid.equals(dag.root) && j.status !== 'failed'))
  })
})
