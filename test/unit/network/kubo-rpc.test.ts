/**
 * The local network's Kubo RPC subset, checked with kubo-rpc-client (the official client, which
 * sends and parses what a real Kubo does): id, version, dag/import of a real CAR, pin/ls (both
 * shapes, Kubo's "not pinned" error), block/stat, block/get, pin/add, pin/rm, routing/put and
 * routing/get of a real signed IPNS record. And the raw HTTP side: the token, the origin
 * allow-list, POST only, Kubo's error shape, tampered CARs, the upload cap.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { create } from 'kubo-rpc-client'
import { base36 } from 'multiformats/bases/base36'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportCar } from '../../../src/ipfs/car/car.js'
import { isPinned } from '../../../src/ipfs/pins/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { makeSource, someBlockUnder, tampered } from '../push/keeper-fixtures.js'
import type { ReadableStore } from '../../../src/ipfs/car/walk.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { Source } from '../push/keeper-fixtures.js'
import type { KuboRPCClient } from 'kubo-rpc-client'
import type { CID } from 'multiformats/cid'

const ORIGIN = 'http://127.0.0.1:5173'

let net: LocalNetwork
let source: Source
let kubo: KuboRPCClient

beforeAll(async () => {
  net = await startLocalNetwork({ allowedOrigins: [ORIGIN] })
  source = await makeSource('kubo-server', 600_000)
  kubo = create({ url: `${net.httpUrl}/api/v0`, headers: { authorization: `Bearer ${net.pinningService.token}` } })
})

afterAll(async () => {
  await net?.stop()
})

async function all<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of source) out.push(x)
  return out
}

async function carBytes (store: ReadableStore, root: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const c of exportCar(store, root)) chunks.push(c)
  return Buffer.concat(chunks)
}

async function rpc (path: string, init: { method?: string, token?: string | null, origin?: string, body?: FormData } = {}): Promise<Response> {
  const headers: Record<string, string> = {}
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? net.pinningService.token}`
  if (init.origin !== undefined) headers.origin = init.origin
  return await fetch(`${net.httpUrl}/api/v0/${path}`, { method: init.method ?? 'POST', headers, ...(init.body !== undefined ? { body: init.body } : {}) })
}

describe('the Kubo RPC subset, through kubo-rpc-client', () => {
  it('answers id and version', async () => {
    const id = await kubo.id()
    expect(id.id.toString()).toBe(net.peerId.toString())
    expect(id.addresses.map(a => a.toString())).toEqual(net.relayAddrs)
    expect(id.publicKey).toMatch(/^[A-Za-z0-9+/]+=*$/)
    const version = await kubo.version()
    expect(typeof version.version).toBe('string')
  })

  it('imports a CAR with dag/import, pins its root, and serves the blocks back', async () => {
    const root = source.folder.root
    const results = []
    for await (const r of kubo.dag.import([await carBytes(source.blockstore, root)])) results.push(r)
    expect(results).toHaveLength(1)
    expect(results[0]?.root.cid.toString()).toBe(root.toString())
    expect(results[0]?.root.pinErrorMsg).toBe('')
    expect(await isPinned(net.helia, root)).toBe(true)

    const pins = []
    for await (const p of kubo.pin.ls({ paths: [root], type: 'recursive' })) pins.push(p)
    expect(pins.map(p => [p.cid.toString(), p.type])).toEqual([[root.toString(), 'recursive']])
    // Listing every pin names each by CIDv1 (Helia keeps pins by multihash), as `ipfs pin ls --cid-base`.
    const listed = (await all(kubo.pin.ls())).map(p => [p.cid.toV1().toString(), p.type])
    expect(listed).toContainEqual([root.toV1().toString(), 'recursive'])

    const leaf = await someBlockUnder(source.blockstore, root)
    const expected = Buffer.concat(await all(source.blockstore.get(leaf) as AsyncIterable<Uint8Array>))
    expect(Buffer.compare(await kubo.block.get(leaf), expected)).toBe(0)
    const stat = await kubo.block.stat(leaf)
    expect(stat.cid.toString()).toBe(leaf.toString())
    expect(stat.size).toBe(expected.byteLength)
  })

  it('says a CID is not pinned as Kubo does (500, {Message, Code 0, Type "error"})', async () => {
    const leaf = await someBlockUnder(source.blockstore, source.folder.root)
    await expect(all(kubo.pin.ls({ paths: [leaf], type: 'recursive' }))).rejects.toThrow(`path '${leaf.toString()}' is not pinned`)
    const res = await rpc(`pin/ls?arg=${leaf.toString()}&type=recursive`)
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ Message: `path '${leaf.toString()}' is not pinned`, Code: 0, Type: 'error' })
    // Not a root pin, but held by one: Kubo's "indirect".
    const indirect = await rpc(`pin/ls?arg=${leaf.toString()}&type=all`)
    expect(await indirect.json()).toEqual({ Keys: { [leaf.toString()]: { Type: 'indirect' } } })
  })

  it('imports without pinning when pin-roots=false; pin/add and pin/rm then pin and unpin', async () => {
    const root = source.file.root
    const results = await all(kubo.dag.import([await carBytes(source.blockstore, root)], { pinRoots: false }))
    expect(results).toEqual([])
    expect(await isPinned(net.helia, root)).toBe(false)
    expect((await kubo.pin.add(root)).toString()).toBe(root.toString())
    expect(await isPinned(net.helia, root)).toBe(true)
    expect((await kubo.pin.rm(root)).toString()).toBe(root.toString())
    expect(await isPinned(net.helia, root)).toBe(false)
    await expect(kubo.pin.rm(root)).rejects.toThrow(/is not pinned/)
  })

  it('keeps a real signed IPNS record with routing/put and gives it back with routing/get', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = peerIdFromPrivateKey(key).toCID().toString(base36)
    const record = marshalIPNSRecord(await createIPNSRecord(key, source.folder.root, 3n, 60_000))
    const put = await all(kubo.routing.put(`/ipns/${name}`, record))
    expect(put.map((e: { name: string }) => e.name)).toEqual(['VALUE'])
    const got = await all(kubo.routing.get(`/ipns/${name}`))
    expect(got).toHaveLength(1)
    const event = got[0]
    if (event?.name !== 'VALUE') throw new Error(`expected a VALUE event, got ${event?.name}`)
    expect(Buffer.compare(event.value, record)).toBe(0)
    // An older record for the same name loses, as in Kubo.
    const older = marshalIPNSRecord(await createIPNSRecord(key, source.file.root, 2n, 60_000))
    await expect(all(kubo.routing.put(`/ipns/${name}`, older))).rejects.toThrow(/older value/)
    // A record for another name is refused.
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toCID().toString(base36)
    await expect(all(kubo.routing.put(`/ipns/${stranger}`, record))).rejects.toThrow(/invalid IPNS record/)
    await expect(all(kubo.routing.get(`/ipns/${stranger}`))).rejects.toThrow('routing: not found')
  })
})

describe('the Kubo RPC subset over raw HTTP', () => {
  it('refuses a request without the token, or with another (403, as Kubo API.Authorizations)', async () => {
    const none = await rpc('id', { token: null })
    expect(none.status).toBe(403)
    expect(await none.text()).toMatch(/access denied: send Authorization: Bearer <token>/)
    expect((await rpc('version', { token: 'nope' })).status).toBe(403)
    const bare = create({ url: `${net.httpUrl}/api/v0` })
    await expect(bare.id()).rejects.toThrow(/access denied/)
  })

  it('refuses a page from a foreign origin even with the token, and answers the allowed one', async () => {
    const foreign = await rpc('id', { origin: 'http://evil.example' })
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    const preflight = await fetch(`${net.httpUrl}/api/v0/dag/import`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } })
    expect(preflight.status).toBe(403)
    const allowed = await rpc('id', { origin: ORIGIN })
    expect(allowed.status).toBe(200)
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN)
  })

  it('takes POST only, and answers unknown commands with 404', async () => {
    const get = await rpc('id', { method: 'GET' })
    expect(get.status).toBe(405)
    expect((await rpc('swarm/peers')).status).toBe(404)
  })

  it('answers a bad argument with 400 and Code 1', async () => {
    const res = await rpc('block/stat?arg=not-a-cid')
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ Code: 1, Type: 'error' })
    const missing = await rpc('block/get')
    expect(await missing.json()).toEqual({ Message: 'argument "cid" is required', Code: 1, Type: 'error' })
  })

  it('refuses a CAR with a tampered block, and pins nothing', async () => {
    const dag = await makeSource('kubo-server-tampered', 100_000)
    const victim = await someBlockUnder(dag.blockstore, dag.folder.root)
    const form = new FormData()
    form.append('file', new Blob([await carBytes(tampered(dag.blockstore, victim), dag.folder.root) as Uint8Array<ArrayBuffer>]), 'x.car')
    const res = await rpc('dag/import', { body: form })
    expect(res.status).toBe(500)
    const body = await res.json() as { Message: string }
    expect(body.Message).toMatch(new RegExp(`the CAR was refused, and nothing was pinned: Block ${victim.toString()} .*corrupt`))
    expect(await isPinned(net.helia, dag.folder.root)).toBe(false)
    expect(await net.helia.blockstore.has(victim)).toBe(false)
  })

  it('refuses an upload larger than the cap (413) without reading it whole', async () => {
    const small = await startLocalNetwork({ keeperMaxUploadBytes: 64 * 1024 })
    try {
      const form = new FormData()
      form.append('file', new Blob([await carBytes(source.blockstore, source.folder.root) as Uint8Array<ArrayBuffer>]), 'big.car')
      const res = await fetch(`${small.httpUrl}/api/v0/dag/import`, { method: 'POST', headers: { authorization: `Bearer ${small.pinningService.token}` }, body: form })
      expect(res.status).toBe(413)
      expect((await res.json() as { Message: string }).Message).toMatch(/larger than 65536 bytes/)
      expect(await isPinned(small.helia, source.folder.root)).toBe(false)
    } finally {
      await small.stop()
    }
  })
})
