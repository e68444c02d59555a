/**
 * The Pinning Service API keeper in pull mode against the local network's service: a separate
 * Helia peer holds the DAG, the service fetches it over bitswap from the request's origins (or
 * over the connection the holder opens to the delegates), and the CAR-upload extension is used
 * only when allowed and advertised. Real libp2p peers and HTTP on loopback.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readBlock } from '../../../src/ipfs/car/walk.js'
import { isPinned } from '../../../src/ipfs/pins/index.js'
import { KeeperAuthError, KeeperUnsupportedError, PsaKeeper, RemotePinFailedError } from '../../../src/ipfs/push/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { makeDag } from './helpers.js'
import type { KeeperEvents } from '../../../src/ipfs/push/index.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'

const TOKEN = 'psa-keeper-test-token'
let net: LocalNetwork
const peers: TestPeer[] = []

beforeAll(async () => {
  net = await startLocalNetwork({ pinningToken: TOKEN, pinBlockTimeoutMs: 2000, maxCarBytes: 64 * 1024 })
})

afterAll(async () => {
  await Promise.all(peers.map(async p => { await p.stop() }))
  await net?.stop()
})

async function peer (listen: string[] = []): Promise<TestPeer> {
  const p = await createTestPeer({ listen })
  peers.push(p)
  return p
}

/** A `dial` that connects `from` to every delegate it can, failing if none answers. */
function dialFrom (from: TestPeer, dialled: string[][]): (addrs: string[], options?: { signal?: AbortSignal | undefined }) => Promise<void> {
  return async (addrs, options) => {
    dialled.push(addrs)
    const results = await Promise.allSettled(addrs.map(async a => await from.libp2p.dial(multiaddr(a), { signal: options?.signal ?? AbortSignal.timeout(10_000) })))
    if (!results.some(r => r.status === 'fulfilled')) throw new Error('no delegate answered')
  }
}

/** A fetch that records every request's path (and can answer some itself, as another service would). */
function recordingFetch (paths: string[], answer?: (url: URL) => Response | undefined): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString())
    paths.push(`${init?.method ?? 'GET'} ${url.pathname}`)
    return answer?.(url) ?? await fetch(input, init)
  }
}

async function fromGateway (cid: CID): Promise<Uint8Array> {
  const res = await fetch(`${net.gatewayUrl}/ipfs/${cid.toString()}?format=raw`, { signal: AbortSignal.timeout(10_000) })
  expect(res.status).toBe(200)
  return new Uint8Array(await res.arrayBuffer())
}

describe('PsaKeeper (pull mode)', () => {
  it('has the service fetch a multi-block DAG from the origins, connects to the delegates, and reports pinned', async () => {
    const holder = await peer(['/ip4/127.0.0.1/tcp/0/ws'])
    const dag = await makeDag(holder.blockstore, 'psa-pull', { branches: 3, leavesPerBranch: 3, leafBytes: 30_000 })
    for (const cid of dag.cids) expect(await net.helia.blockstore.has(cid)).toBe(false)
    const paths: string[] = []
    const dialled: string[][] = []
    const keeper = new PsaKeeper({ name: 'local', ...net.pinningService, fetch: recordingFetch(paths), dial: dialFrom(holder, dialled), pollIntervalMs: 50 })
    expect(await keeper.status(dag.root)).toEqual({ state: 'absent' })

    const events: KeeperEvents[] = []
    const origins = holder.libp2p.getMultiaddrs().map(String)
    expect(origins[0]).toMatch(/\/ws\/p2p\/12D3KooW/)
    const result = await keeper.pushDag(dag.root, { blocks: holder.blockstore, origins, name: 'nightly', signal: AbortSignal.timeout(30_000), onProgress: e => events.push(e) })

    expect(result.state).toBe('pinned')
    expect(dialled).toEqual([net.relayAddrs])
    expect(net.helia.libp2p.getConnections(holder.libp2p.peerId).length).toBeGreaterThan(0)
    expect(events.filter(e => e.type === 'push:keeper:status').at(-1)?.detail.state).toBe('pinned')
    expect(events.some(e => e.type === 'push:keeper:upload')).toBe(false)
    expect(paths.some(p => p.endsWith('/car') || p.endsWith('/capabilities'))).toBe(false)
    expect(await isPinned(net.helia, dag.root)).toBe(true)
    for (const cid of dag.cids) {
      expect(await fromGateway(cid)).toEqual(await readBlock(holder.blockstore, cid))
    }
    const job = net.pins.list().find(j => j.cid.equals(dag.root))
    expect(job?.origins).toEqual(origins)
    expect((await keeper.status(dag.root)).state).toBe('pinned')
  })

  it('reaches a holder that cannot be dialled only through the connection it opens to the delegates', async () => {
    const withoutDial = await peer() // listens nowhere: the service cannot dial it
    const a = await makeDag(withoutDial.blockstore, 'psa-undialable-a', { branches: 1, leavesPerBranch: 2 })
    const plain = new PsaKeeper({ name: 'local', ...net.pinningService, pollIntervalMs: 50 })
    const err = await plain.pushDag(a.root, { blocks: withoutDial.blockstore, origins: [], signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemotePinFailedError)
    expect((err as Error).message).toMatch(/could not pin .*No connected peer sent block/)
    expect((await plain.status(a.root)).state).toBe('failed')

    const holder = await peer()
    const b = await makeDag(holder.blockstore, 'psa-undialable-b', { branches: 2, leavesPerBranch: 2 })
    const dialled: string[][] = []
    const keeper = new PsaKeeper({ name: 'local', ...net.pinningService, dial: dialFrom(holder, dialled), pollIntervalMs: 50 })
    expect((await keeper.pushDag(b.root, { blocks: holder.blockstore, signal: AbortSignal.timeout(30_000) })).state).toBe('pinned')
    expect(dialled).toHaveLength(1)
    for (const cid of b.cids) expect(await fromGateway(cid)).toEqual(await readBlock(holder.blockstore, cid))
  })

  it('uploads CARs only when allowed and advertised', async () => {
    // allowed and advertised: every block arrives by upload, from a peer never connected
    const offline = await peer()
    const dag = await makeDag(offline.blockstore, 'psa-car', { branches: 2, leavesPerBranch: 3, leafBytes: 20_000 })
    const paths: string[] = []
    const events: KeeperEvents[] = []
    const uploading = new PsaKeeper({ name: 'local', ...net.pinningService, fetch: recordingFetch(paths), carUpload: true, pollIntervalMs: 50 })
    expect((await uploading.pushDag(dag.root, { blocks: offline.blockstore, signal: AbortSignal.timeout(30_000), onProgress: e => events.push(e) })).state).toBe('pinned')
    expect(paths.filter(p => p === 'POST /pinning/car').length).toBeGreaterThan(1)
    expect(events.filter(e => e.type === 'push:keeper:upload').at(-1)?.detail.blocks).toBe(dag.cids.length)
    expect(net.helia.libp2p.getConnections(offline.libp2p.peerId)).toHaveLength(0)
    for (const cid of dag.cids) expect(await net.helia.blockstore.has(cid)).toBe(true)

    // allowed, but the service does not advertise it (a standard PSA): never used, the service pulls
    const holder = await peer(['/ip4/127.0.0.1/tcp/0/ws'])
    const other = await makeDag(holder.blockstore, 'psa-no-ad', { branches: 2, leavesPerBranch: 2 })
    const standardPaths: string[] = []
    const notFound = (url: URL): Response | undefined => url.pathname.endsWith('/capabilities')
      ? new Response(JSON.stringify({ error: { reason: 'NOT_FOUND', details: 'no such route' } }), { status: 404, headers: { 'content-type': 'application/json' } })
      : undefined
    const standard = new PsaKeeper({ name: 'standard', ...net.pinningService, fetch: recordingFetch(standardPaths, notFound), carUpload: true, pollIntervalMs: 50 })
    const origins = holder.libp2p.getMultiaddrs().map(String)
    expect((await standard.pushDag(other.root, { blocks: holder.blockstore, origins, signal: AbortSignal.timeout(30_000) })).state).toBe('pinned')
    expect(standardPaths).toContain('GET /pinning/capabilities')
    expect(standardPaths.some(p => p.endsWith('/car'))).toBe(false)
    expect(net.helia.libp2p.getConnections(holder.libp2p.peerId).length).toBeGreaterThan(0)
  })

  it('says the token was refused, and that a pinning service holds no IPNS records', async () => {
    const wrong = new PsaKeeper({ name: 'local', endpoint: net.pinningService.endpoint, token: 'wrong' })
    const missing = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('psa status')))
    const err = await wrong.status(missing).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperAuthError)
    expect((err as Error).message).toMatch(/refused the access token \(HTTP 401.*check it in Settings/)
    const keeper = new PsaKeeper({ name: 'local', ...net.pinningService })
    expect(keeper.holdsRecords).toBe(false)
    expect(keeper.id).toBe('psa:local')
    await expect(keeper.pushRecord('k51qzi5uqu5dl', new Uint8Array(1))).rejects.toThrow(KeeperUnsupportedError)
    await expect(keeper.pushRecord('k51qzi5uqu5dl', new Uint8Array(1))).rejects.toThrow(/Kubo keeper or a peer keeper/)
  })
})
