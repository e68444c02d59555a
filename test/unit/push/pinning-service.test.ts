/**
 * The Pinning Service API on the local network peer, through the client in src/ipfs/push: token
 * errors, pinning by fetching from a connected peer, listing, removal, CAR upload in parts, and
 * the raw HTTP side (errors, CORS). Real libp2p peers and HTTP on loopback.
 */
import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPinned } from '../../../src/ipfs/pins/index.js'
import {
  PinningServiceAuthError, PinningServiceClient, PinningServiceError, PinningServiceUnreachableError, RemotePinFailedError, pinToService
} from '../../../src/ipfs/push/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { makeDag } from './helpers.js'
import type { PinToServiceEvents } from '../../../src/ipfs/push/index.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'

const ORIGIN = 'http://127.0.0.1:5173'
const MAX_CAR = 64 * 1024

let net: LocalNetwork
let connected: TestPeer
let service: PinningServiceClient
const peers: TestPeer[] = []

beforeAll(async () => {
  net = await startLocalNetwork({ pinBlockTimeoutMs: 2000, maxCarBytes: MAX_CAR, allowedOrigins: [ORIGIN] })
  connected = await createTestPeer()
  peers.push(connected)
  await connected.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
  service = new PinningServiceClient({ name: 'local network', ...net.pinningService })
})

afterAll(async () => {
  await Promise.all(peers.map(async p => { await p.stop() }))
  await net?.stop()
})

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}

describe('the pinning service client against the local network', () => {
  it('says the token was refused, and to check it in Settings', async () => {
    const wrong = new PinningServiceClient({ name: 'local network', endpoint: net.pinningService.endpoint, token: 'not-the-token' })
    const dag = await makeDag(connected.blockstore, 'wrong-token', { branches: 1, leavesPerBranch: 1 })
    const err = await pinToService(wrong, dag.root, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PinningServiceAuthError)
    expect((err as Error).message).toMatch(/"local network" .*refused the access token \(HTTP 401: UNAUTHORIZED.*check it in Settings/)
    expect(net.pins.list()).toHaveLength(0)
  })

  it('says when the service cannot be reached', async () => {
    const port = await freePort()
    const gone = new PinningServiceClient({ name: 'gone', endpoint: `http://127.0.0.1:${port}/pinning`, token: 't' })
    const err = await gone.list({}, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PinningServiceUnreachableError)
    expect((err as Error).message).toMatch(/Could not reach the pinning service "gone" at http:\/\/127\.0\.0\.1:\d+\/pinning .*Check the endpoint in Settings/)
  })

  it('pins a DAG it fetches from a connected peer, lists it, and unpins it on delete', async () => {
    const dag = await makeDag(connected.blockstore, 'by-fetch')
    const events: PinToServiceEvents[] = []
    const status = await pinToService(service, dag.root, {
      name: 'nightly',
      meta: { app: 'cairn' },
      origins: [`/ip4/127.0.0.1/tcp/1/ws/p2p/${connected.libp2p.peerId.toString()}`],
      pollIntervalMs: 100,
      signal: AbortSignal.timeout(30_000),
      onProgress: e => events.push(e)
    })
    expect(status.status).toBe('pinned')
    expect(status.pin).toEqual({
      cid: dag.root.toString(),
      name: 'nightly',
      origins: [`/ip4/127.0.0.1/tcp/1/ws/p2p/${connected.libp2p.peerId.toString()}`],
      meta: { app: 'cairn' }
    })
    expect(status.delegates).toEqual(net.relayAddrs)
    expect(status.info?.blocks).toBe(String(dag.cids.length))
    expect(events.filter(e => e.type === 'push:pinning-service:status').at(-1)?.detail.status).toBe('pinned')
    expect(events.some(e => e.type === 'push:pinning-service:upload')).toBe(false) // no local blocks given: fetched
    expect(await isPinned(net.helia, dag.root)).toBe(true)
    for (const cid of dag.cids) expect(await net.helia.blockstore.has(cid)).toBe(true)

    const listed = await service.list()
    expect(listed.results.map(r => r.requestid)).toContain(status.requestid)
    expect((await service.list({ name: 'NIGHT', match: 'ipartial' })).count).toBe(1)
    expect((await service.list({ name: 'NIGHT', match: 'exact' })).count).toBe(0)
    expect((await service.list({ cid: [dag.root.toString()] })).results[0]?.requestid).toBe(status.requestid)
    expect((await service.list({ status: ['queued', 'pinning'] })).results.map(r => r.requestid)).not.toContain(status.requestid)
    expect((await service.get(status.requestid)).status).toBe('pinned')

    // pushing again reuses the pinned request
    const again = await pinToService(service, dag.root, { signal: AbortSignal.timeout(10_000) })
    expect(again.requestid).toBe(status.requestid)

    await service.remove(status.requestid)
    expect(await isPinned(net.helia, dag.root)).toBe(false)
    const err = await service.get(status.requestid).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PinningServiceError)
    expect((err as PinningServiceError).status).toBe(404)
  })

  it('dials the origins it is given to fetch from a peer it was not connected to', async () => {
    const holder = await createTestPeer({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    peers.push(holder)
    const dag = await makeDag(holder.blockstore, 'by-origin', { branches: 1, leavesPerBranch: 2 })
    expect(net.helia.libp2p.getConnections(holder.libp2p.peerId)).toHaveLength(0)
    const origins = holder.libp2p.getMultiaddrs().map(ma => ma.toString())
    expect(origins[0]).toMatch(/\/ws\/p2p\/12D3KooW/)
    const status = await pinToService(service, dag.root, { origins, pollIntervalMs: 100, signal: AbortSignal.timeout(30_000) })
    expect(status.status).toBe('pinned')
    expect(await isPinned(net.helia, dag.root)).toBe(true)
    expect(net.helia.libp2p.getConnections(holder.libp2p.peerId).length).toBeGreaterThan(0)
  })

  it('uploads the DAG as CARs of bounded size when allowed and the service offers it, then pins without fetching', async () => {
    expect(await service.capabilities()).toEqual({ carUpload: { maxBytes: MAX_CAR } })
    // a peer the network has never been connected to: every block must come by upload
    const offline = await createTestPeer()
    peers.push(offline)
    const dag = await makeDag(offline.blockstore, 'by-upload', { branches: 3, leavesPerBranch: 4, leafBytes: 20_000 })
    const events: PinToServiceEvents[] = []
    const status = await pinToService(service, dag.root, {
      blocks: offline.blockstore,
      carUpload: true,
      pollIntervalMs: 100,
      signal: AbortSignal.timeout(30_000),
      onProgress: e => events.push(e)
    })
    expect(status.status).toBe('pinned')
    const uploads = events.filter(e => e.type === 'push:pinning-service:upload')
    expect(uploads.length).toBeGreaterThan(3) // 12 leaves of 20 kB in parts of at most 64 KiB
    const last = uploads.at(-1)?.detail as { blocks: number, bytes: number }
    expect(last.blocks).toBe(dag.cids.length)
    expect(last.bytes).toBeGreaterThan(dag.bytes)
    expect(await isPinned(net.helia, dag.root)).toBe(true)
    for (const cid of dag.cids) expect(await net.helia.blockstore.has(cid)).toBe(true)
    expect(net.helia.libp2p.getConnections(offline.libp2p.peerId)).toHaveLength(0)
  })

  it('reports a pin the service could not complete', async () => {
    const missing = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('no peer holds this')))
    const err = await pinToService(service, missing, { pollIntervalMs: 100, signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemotePinFailedError)
    expect((err as Error).message).toMatch(/"local network" could not pin .*No connected peer sent block/)
    expect((await service.list({ status: ['failed'] })).results.map(r => r.pin.cid)).toContain(missing.toString())
  })

  it('cancels the wait when asked', async () => {
    const missing = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('still nobody')))
    const controller = new AbortController()
    const pending = pinToService(service, missing, {
      pollIntervalMs: 100,
      signal: controller.signal,
      onProgress: () => { controller.abort() }
    })
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: expect.stringMatching(/was cancelled\. The service may still pin it/) })
  })
})

describe('the Pinning Service API over HTTP', () => {
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${net.pinningService.token}`, origin: ORIGIN })

  it('answers preflights from a page origin with the methods and the Authorization header', async () => {
    const res = await fetch(`${net.pinningService.endpoint}/pins`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(res.headers.get('access-control-allow-methods')?.split(/,\s*/)).toEqual(expect.arrayContaining(['POST', 'DELETE', 'GET']))
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/i)
    const get = await fetch(`${net.pinningService.endpoint}/pins`, { headers: auth() })
    expect(get.status).toBe(200)
    expect(get.headers.get('access-control-allow-origin')).toBe(ORIGIN)
  })

  it('gives errors in the API format', async () => {
    const noAuth = await fetch(`${net.pinningService.endpoint}/pins`)
    expect(noAuth.status).toBe(401)
    expect(await noAuth.json()).toMatchObject({ error: { reason: 'UNAUTHORIZED' } })
    const bad = await fetch(`${net.pinningService.endpoint}/pins`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ cid: 'not a cid' }) })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({ error: { reason: 'BAD_REQUEST', details: '"not a cid" is not a CID' } })
    const unknown = await fetch(`${net.pinningService.endpoint}/pins/nope`, { headers: auth() })
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error: { reason: 'NOT_FOUND' } })
    const badStatus = await fetch(`${net.pinningService.endpoint}/pins?status=done`, { headers: auth() })
    expect(badStatus.status).toBe(400)
    const big = await fetch(`${net.pinningService.endpoint}/car`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/vnd.ipld.car' }, body: new Uint8Array(MAX_CAR + 1) })
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ error: { reason: 'CONTENT_TOO_LARGE' } })
    const junk = await fetch(`${net.pinningService.endpoint}/car`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/vnd.ipld.car' }, body: new Uint8Array([1, 2, 3]) })
    expect(junk.status).toBe(400)
    expect((await junk.json() as { error: { details: string } }).error.details).toMatch(/The CAR was not accepted/)
  })

  it('keeps a CID pinned while any request for it remains', async () => {
    const dag = await makeDag(connected.blockstore, 'twice', { branches: 1, leavesPerBranch: 2 })
    const one = await service.add({ cid: dag.root.toString(), name: 'one' })
    const two = await service.add({ cid: dag.root.toString(), name: 'two' })
    const done = async (id: string): Promise<void> => {
      for (let i = 0; i < 200 && (await service.get(id)).status !== 'pinned'; i++) await new Promise(resolve => setTimeout(resolve, 50))
    }
    await done(one.requestid)
    await done(two.requestid)
    expect((await service.list({ cid: [dag.root.toString()] })).count).toBe(2)
    await service.remove(one.requestid)
    expect(await isPinned(net.helia, dag.root)).toBe(true)
    await service.remove(two.requestid)
    expect(await isPinned(net.helia, dag.root)).toBe(false)
  })

  it('replaces a pin request with a new one', async () => {
    const a = await makeDag(connected.blockstore, 'replace-a', { branches: 1, leavesPerBranch: 1 })
    const b = await makeDag(connected.blockstore, 'replace-b', { branches: 1, leavesPerBranch: 1 })
    const first = await pinToService(service, a.root, { pollIntervalMs: 100, signal: AbortSignal.timeout(30_000) })
    const second = await service.replace(first.requestid, { cid: b.root.toString() })
    expect(second.requestid).not.toBe(first.requestid)
    await expect(service.get(first.requestid)).rejects.toBeInstanceOf(PinningServiceError)
    const done = await pinToService(service, b.root, { pollIntervalMs: 100, signal: AbortSignal.timeout(30_000) })
    expect(done.requestid).toBe(second.requestid)
    expect(await isPinned(net.helia, a.root)).toBe(false)
    expect(await isPinned(net.helia, b.root)).toBe(true)
  })
})
