/**
 * The local network's IPFS Cluster REST subset against the cluster's documented requests and
 * responses (ipfs-cluster api/add.go AddParamsFromQuery, api/types.go AddedOutput, GlobalPinInfo,
 * PinInfoShort, TrackerStatus, ID): POST /add?format=car with the documented query parameters
 * (name, local, no-pin, stream-channels), GET /pins/<cid>, GET /id, errors as {code, message};
 * the token and the origin allow-list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportCar } from '../../../src/ipfs/car/car.js'
import { isPinned } from '../../../src/ipfs/pins/index.js'
import { carParts } from '../../../src/ipfs/push/car-parts.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { makeSource, someBlockUnder, tampered } from '../push/keeper-fixtures.js'
import type { ReadableStore } from '../../../src/ipfs/car/walk.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { Source } from '../push/keeper-fixtures.js'
import type { CID } from 'multiformats/cid'

const ORIGIN = 'http://127.0.0.1:5173'
/** api/types.go trackerStatusString. */
const TRACKER_STATUSES = ['undefined', 'cluster_error', 'pin_error', 'unpin_error', 'error', 'pinned', 'pinning', 'unpinning', 'unpinned', 'remote', 'pin_queued', 'unpin_queued', 'queued', 'sharded', 'unexpectedly_unpinned']
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

let net: LocalNetwork
let source: Source
let base: string

beforeAll(async () => {
  net = await startLocalNetwork({ allowedOrigins: [ORIGIN] })
  source = await makeSource('cluster-server', 400_000)
  base = `${net.httpUrl}/cluster`
})

afterAll(async () => {
  await net?.stop()
})

async function car (store: ReadableStore, root: CID): Promise<Blob> {
  const chunks: Uint8Array[] = []
  for await (const c of exportCar(store, root)) chunks.push(c)
  return new Blob([Buffer.concat(chunks)])
}

async function call (path: string, init: { method?: string, body?: Blob, token?: string | null, origin?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {}
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? net.pinningService.token}`
  if (init.origin !== undefined) headers.origin = init.origin
  let body: FormData | undefined
  if (init.body !== undefined) {
    body = new FormData()
    body.append('file', init.body, 'upload.car')
  }
  return await fetch(`${base}${path}`, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) })
}

function lines (text: string): unknown[] {
  return text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as unknown)
}

/** AddedOutput: name string, cid string, bytes uint64 (omitempty), allocations []peer.ID (omitempty). */
function expectAddedOutput (value: unknown, root: CID, name: string): void {
  expect(value).toEqual({ name, cid: root.toString(), bytes: expect.any(Number), allocations: [net.peerId.toString()] })
}

/** GlobalPinInfo with one PinInfoShort per peer. */
function expectGlobalPinInfo (value: unknown, root: CID, status: string, name: string): void {
  const v = value as Record<string, unknown>
  expect(Object.keys(v).sort()).toEqual(['allocations', 'cid', 'created', 'metadata', 'name', 'origins', 'peer_map'])
  expect(v.cid).toBe(root.toString())
  expect(v.name).toBe(name)
  expect(Array.isArray(v.allocations)).toBe(true)
  expect(Array.isArray(v.origins)).toBe(true)
  expect(v.created).toMatch(RFC3339)
  expect(typeof v.metadata).toBe('object')
  const peers = v.peer_map as Record<string, Record<string, unknown>>
  expect(Object.keys(peers)).toEqual([net.peerId.toString()])
  const info = peers[net.peerId.toString()] ?? {}
  expect(Object.keys(info).sort()).toEqual(['attempt_count', 'error', 'ipfs_peer_addresses', 'ipfs_peer_id', 'peername', 'priority_pin', 'status', 'timestamp'])
  expect(TRACKER_STATUSES).toContain(info.status)
  expect(info.status).toBe(status)
  expect(info).toMatchObject({ peername: expect.any(String), ipfs_peer_id: net.peerId.toString(), ipfs_peer_addresses: net.relayAddrs, error: '', attempt_count: 0, priority_pin: false })
  expect(info.timestamp).toMatch(RFC3339)
}

describe('the IPFS Cluster REST subset, against the documented shapes', () => {
  it('GET /pins/<cid> of a CID it does not pin: GlobalPinInfo with status "unpinned" (200)', async () => {
    const res = await call(`/pins/${source.folder.root.toString()}`)
    expect(res.status).toBe(200)
    expectGlobalPinInfo(await res.json(), source.folder.root, 'unpinned', '')
  })

  it('POST /add?format=car&name=…: stores, pins the CAR root, answers ndjson AddedOutput; then GET /pins says pinned', async () => {
    const res = await call('/add?format=car&name=photos&stream-channels=true', { body: await car(source.blockstore, source.folder.root) })
    expect(res.status).toBe(200)
    const out = lines(await res.text())
    expect(out).toHaveLength(1)
    expectAddedOutput(out[0], source.folder.root, 'photos')
    expect(await isPinned(net.helia, source.folder.root)).toBe(true)
    const status = await call(`/pins/${source.folder.root.toString()}`)
    expectGlobalPinInfo(await status.json(), source.folder.root, 'pinned', 'photos')
  })

  it('takes a DAG in parts: no-pin=true&local=true parts, then the part that pins; stream-channels=false answers a JSON array', async () => {
    const root = source.file.root
    const parts = []
    for await (const p of carParts(source.blockstore, root, { maxBytes: 100_000 })) parts.push(p)
    expect(parts.length).toBeGreaterThan(2)
    for (const part of parts.slice(0, -1)) {
      const res = await call('/add?format=car&local=true&no-pin=true', { body: new Blob([part.car as Uint8Array<ArrayBuffer>]) })
      expect(res.status).toBe(200)
      expect(lines(await res.text())).toEqual([{ name: 'upload.car', cid: root.toString(), bytes: expect.any(Number), allocations: [] }])
      expect(await isPinned(net.helia, root)).toBe(false)
    }
    const last = parts.at(-1)
    const res = await call('/add?format=car&local=true&stream-channels=false', { body: new Blob([last?.car as Uint8Array<ArrayBuffer>]) })
    const body = await res.json() as unknown[]
    expect(Array.isArray(body)).toBe(true)
    expectAddedOutput(body[0], root, 'upload.car')
    expect(await isPinned(net.helia, root)).toBe(true)
  })

  it('says when the part that pins comes before the blocks it needs (500, {code, message})', async () => {
    const dag = await makeSource('cluster-server-early', 300_000)
    const first = (await carParts(dag.blockstore, dag.file.root, { maxBytes: 100_000 }).next()).value
    const res = await call('/add?format=car', { body: new Blob([first?.car as Uint8Array<ArrayBuffer>]) })
    expect(res.status).toBe(500)
    const body = await res.json() as { code: number, message: string }
    expect(body.code).toBe(500)
    expect(body.message).toMatch(/could not pin .*Add the blocks it needs first \(parts with no-pin=true\)/)
    expect(await isPinned(net.helia, dag.file.root)).toBe(false)
  })

  it('refuses a CAR with a tampered block (400), and pins nothing', async () => {
    const dag = await makeSource('cluster-server-tampered', 50_000)
    const victim = await someBlockUnder(dag.blockstore, dag.folder.root)
    const res = await call('/add?format=car', { body: await car(tampered(dag.blockstore, victim), dag.folder.root) })
    expect(res.status).toBe(400)
    const body = await res.json() as { code: number, message: string }
    expect(body).toEqual({ code: 400, message: expect.stringMatching(new RegExp(`the CAR was refused, and nothing was pinned: Block ${victim.toString()} .*corrupt`)) })
    expect(await isPinned(net.helia, dag.folder.root)).toBe(false)
  })

  it('answers the documented parameter errors as {code, message}', async () => {
    const unixfs = await call('/add', { body: new Blob(['hello']) })
    expect(unixfs.status).toBe(400)
    expect(await unixfs.json()).toEqual({ code: 400, message: expect.stringMatching(/format=unixfs is not supported here/) })
    const bad = await call('/add?format=car&no-pin=maybe', { body: new Blob(['x']) })
    expect(await bad.json()).toEqual({ code: 400, message: 'parameter no-pin invalid' })
    const cid = await call('/pins/not-a-cid')
    expect(cid.status).toBe(400)
    expect(await cid.json()).toMatchObject({ code: 400 })
  })

  it('GET /id: the ID object', async () => {
    const res = await call('/id')
    const id = await res.json() as Record<string, unknown>
    expect(id).toMatchObject({ id: net.peerId.toString(), addresses: net.relayAddrs, cluster_peers: [net.peerId.toString()], error: '', peername: expect.any(String), version: expect.any(String) })
    expect(id.ipfs).toEqual({ id: net.peerId.toString(), addresses: net.relayAddrs, error: '' })
  })

  it('refuses a request without the token (401) and a page from a foreign origin (403)', async () => {
    const none = await call('/id', { token: null })
    expect(none.status).toBe(401)
    expect(await none.json()).toMatchObject({ code: 401, message: expect.stringMatching(/^Unauthorized/) })
    expect((await call('/id', { token: 'nope' })).status).toBe(401)
    const foreign = await call('/id', { origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    const allowed = await call('/id', { origin: ORIGIN })
    expect(allowed.status).toBe(200)
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN)
  })
})
