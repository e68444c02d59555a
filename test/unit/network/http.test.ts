/**
 * The local network's HTTP side: cairn-local.json, Routing V1 (IPNS, providers, peers), CORS and
 * the trustless gateway. Real server on 127.0.0.1.
 */
import { CarReader } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createIPNSRecord, marshalIPNSRecord, unmarshalIPNSRecord } from 'ipns'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { rawBlock } from './helpers.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'

const ORIGIN = 'http://127.0.0.1:5173'
const IPNS_RECORD = 'application/vnd.ipfs.ipns-record'

let net: LocalNetwork

beforeAll(async () => {
  net = await startLocalNetwork({ allowedOrigins: [ORIGIN] })
})

afterAll(async () => {
  await net?.stop()
})

async function newName (): Promise<{ key: Awaited<ReturnType<typeof generateKeyPair>>, k51: string, bafz: string }> {
  const key = await generateKeyPair('Ed25519')
  const cid = peerIdFromPrivateKey(key).toCID()
  return { key, k51: cid.toString(base36), bafz: cid.toString() }
}

async function putRecord (name: string, body: Uint8Array): Promise<Response> {
  return await fetch(`${net.httpUrl}/routing/v1/ipns/${name}`, {
    method: 'PUT',
    headers: { 'content-type': IPNS_RECORD, origin: ORIGIN },
    body: new Uint8Array(body)
  })
}

describe('cairn-local.json', () => {
  it('describes the peer, its relay addresses and the URLs, to the app\'s origin', async () => {
    const res = await fetch(`${net.httpUrl}/cairn-local.json`, { headers: { origin: ORIGIN } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const body = await res.json() as Record<string, unknown>
    expect(body).toEqual({
      peerId: net.peerId.toString(),
      relayAddrs: net.relayAddrs,
      routingUrl: net.httpUrl,
      gatewayUrl: net.httpUrl,
      pinningService: { endpoint: `${net.httpUrl}/pinning`, token: net.pinningService.token },
      kuboRpc: { endpoint: net.httpUrl, token: net.pinningService.token },
      cluster: { endpoint: `${net.httpUrl}/cluster`, token: net.pinningService.token }
    })
    expect(net.pinningService.token).toMatch(/^[\w-]{32}$/)
    expect(net.relayAddrs.length).toBeGreaterThan(0)
    for (const addr of net.relayAddrs) {
      expect(addr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/ws/p2p/${net.peerId.toString()}$`))
    }
    expect(net.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })
})

describe('IPNS over Routing V1', () => {
  it('stores a valid record and returns it under both the k51… and bafz… names', async () => {
    const { key, k51, bafz } = await newName()
    const { cid } = await rawBlock('ipns target')
    const record = marshalIPNSRecord(await createIPNSRecord(key, cid, 1n, 60_000))

    const put = await putRecord(k51, record)
    expect(put.status).toBe(200)
    expect(put.headers.get('access-control-allow-origin')).toBe('*')

    for (const name of [k51, bafz]) {
      const res = await fetch(`${net.httpUrl}/routing/v1/ipns/${name}`, { headers: { accept: IPNS_RECORD, origin: ORIGIN } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe(IPNS_RECORD)
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      const got = new Uint8Array(await res.arrayBuffer())
      expect(got).toEqual(record)
      expect(unmarshalIPNSRecord(got).value).toBe(`/ipfs/${cid.toString()}`)
    }
  })

  it('accepts a PUT under the bafz… name and keeps the record with the higher sequence', async () => {
    const { key, k51, bafz } = await newName()
    const first = await rawBlock('first')
    const second = await rawBlock('second')
    const r2 = marshalIPNSRecord(await createIPNSRecord(key, second.cid, 2n, 60_000))
    const r1 = marshalIPNSRecord(await createIPNSRecord(key, first.cid, 1n, 60_000))
    expect((await putRecord(bafz, r2)).status).toBe(200)
    expect((await putRecord(k51, r1)).status).toBe(409) // older: refused, as over libp2p
    const res = await fetch(`${net.httpUrl}/routing/v1/ipns/${k51}`)
    expect(unmarshalIPNSRecord(new Uint8Array(await res.arrayBuffer())).value).toBe(`/ipfs/${second.cid.toString()}`)
  })

  it('rejects a tampered record with 400 and does not store it', async () => {
    const { key, k51 } = await newName()
    const { cid } = await rawBlock('tampered')
    const record = await createIPNSRecord(key, cid, 1n, 60_000)
    const signatureV2 = new Uint8Array(record.signatureV2)
    signatureV2[0] = (signatureV2[0] ?? 0) ^ 0xff
    const res = await putRecord(k51, marshalIPNSRecord({ ...record, signatureV2 }))
    expect(res.status).toBe(400)
    expect(await res.text()).toMatch(/Invalid IPNS record: .*signature/i)

    const get = await fetch(`${net.httpUrl}/routing/v1/ipns/${k51}`)
    expect(get.headers.get('content-type')).not.toBe(IPNS_RECORD)
    expect(await get.text()).toBe('Record not found')
  })

  it('rejects a valid record put under another key\'s name', async () => {
    const a = await newName()
    const b = await newName()
    const { cid } = await rawBlock('wrong name')
    const res = await putRecord(b.k51, marshalIPNSRecord(await createIPNSRecord(a.key, cid, 1n, 60_000)))
    expect(res.status).toBe(400)
  })

  it('rejects a name that is not a libp2p-key CID with 422', async () => {
    const { cid } = await rawBlock('not a key')
    const res = await fetch(`${net.httpUrl}/routing/v1/ipns/${cid.toString()}`)
    expect(res.status).toBe(422)
  })
})

describe('CORS', () => {
  it('allows a preflight for an IPNS PUT from the dev server origin', async () => {
    const { k51 } = await newName()
    const res = await fetch(`${net.httpUrl}/routing/v1/ipns/${k51}`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type'
      }
    })
    expect(res.status).toBeGreaterThanOrEqual(200)
    expect(res.status).toBeLessThan(300)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')?.split(/,\s*/)).toContain('PUT')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toContain('content-type')
  })
})

describe('providers and peers', () => {
  it('lists the network peer for a block it holds, and nobody for one it lacks', async () => {
    const held = await rawBlock('held by the network peer')
    await net.helia.blockstore.put(held.cid, held.bytes)
    const res = await fetch(`${net.httpUrl}/routing/v1/providers/${held.cid.toString()}`, { headers: { accept: 'application/json', origin: ORIGIN } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const body = await res.json() as { Providers: Array<{ ID: string, Addrs: string[], Schema: string }> }
    expect(body.Providers).toHaveLength(1)
    expect(body.Providers[0]?.ID).toBe(net.peerId.toString())
    expect(body.Providers[0]?.Addrs).toEqual(net.relayAddrs.map(a => a.replace(/\/p2p\/[^/]+$/, '')).map(a => `${a}/p2p/${net.peerId.toString()}`))

    const missing = await rawBlock('nobody has this')
    const none = await fetch(`${net.httpUrl}/routing/v1/providers/${missing.cid.toString()}`, { headers: { accept: 'application/json' } })
    expect(none.status).toBe(200)
    expect((await none.json() as { Providers: unknown[] }).Providers).toEqual([])
  })

  it('returns the network peer itself from /routing/v1/peers', async () => {
    const res = await fetch(`${net.httpUrl}/routing/v1/peers/${net.peerId.toCID().toString()}`, { headers: { accept: 'application/json' } })
    expect(res.status).toBe(200)
    const body = await res.json() as { Peers: Array<{ ID: string, Addrs: string[] }> }
    expect(body.Peers[0]?.ID).toBe(net.peerId.toString())
    expect(body.Peers[0]?.Addrs.length).toBeGreaterThan(0)
  })
})

describe('trustless gateway', () => {
  it('serves a raw block whose bytes hash to the CID (?format=raw and Accept)', async () => {
    const block = await rawBlock('gateway block ' + Math.random())
    await net.helia.blockstore.put(block.cid, block.bytes)
    const requests: Array<[string, RequestInit]> = [
      [`${net.httpUrl}/ipfs/${block.cid.toString()}?format=raw`, { headers: { origin: ORIGIN } }],
      [`${net.httpUrl}/ipfs/${block.cid.toString()}`, { headers: { accept: 'application/vnd.ipld.raw', origin: ORIGIN } }]
    ]
    for (const [url, init] of requests) {
      const res = await fetch(url, init)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/vnd.ipld.raw')
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      const bytes = new Uint8Array(await res.arrayBuffer())
      expect(bytes).toEqual(block.bytes)
      const digest = await sha256.digest(bytes)
      expect(digest.bytes).toEqual(block.cid.multihash.bytes)
    }
  })

  it('serves a CAR of a DAG it holds (?format=car)', async () => {
    const leaves = [await rawBlock('car leaf one'), await rawBlock('car leaf two')]
    for (const leaf of leaves) await net.helia.blockstore.put(leaf.cid, leaf.bytes)
    const rootBytes = dagPb.encode(dagPb.prepare({ Links: leaves.map((l, i) => ({ Hash: l.cid, Name: `leaf${i}`, Tsize: l.bytes.byteLength })) }))
    const root = CID.createV1(dagPb.code, await sha256.digest(rootBytes))
    await net.helia.blockstore.put(root, rootBytes)

    const res = await fetch(`${net.httpUrl}/ipfs/${root.toString()}?format=car`, { headers: { origin: ORIGIN } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.ipld\.car/)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const reader = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()))
    expect((await reader.getRoots()).map(String)).toEqual([root.toString()])
    const blocks = new Map<string, Uint8Array>()
    for await (const { cid, bytes } of reader.blocks()) {
      expect((await sha256.digest(bytes)).bytes).toEqual(cid.multihash.bytes)
      blocks.set(cid.toString(), bytes)
    }
    expect([...blocks.keys()].sort()).toEqual([root, ...leaves.map(l => l.cid)].map(String).sort())
  })

  it('ends a CAR response with an error (not a crash) when a block under the root is missing', async () => {
    const missing = await rawBlock('car leaf that was never stored')
    const rootBytes = dagPb.encode(dagPb.prepare({ Links: [{ Hash: missing.cid, Name: 'gone', Tsize: 1 }] }))
    const root = CID.createV1(dagPb.code, await sha256.digest(rootBytes))
    await net.helia.blockstore.put(root, rootBytes)
    const res = await fetch(`${net.httpUrl}/ipfs/${root.toString()}?format=car`)
    expect(res.status).toBe(200) // headers go out before the walk reaches the missing block
    await expect(res.arrayBuffer()).rejects.toThrow()
    // the server is still up
    expect((await fetch(`${net.httpUrl}/cairn-local.json`)).status).toBe(200)
  })

  it('answers 404 for a block it does not hold, 406 without a raw format, 400 for a bad CID', async () => {
    const missing = await rawBlock('not on the gateway')
    const res = await fetch(`${net.httpUrl}/ipfs/${missing.cid.toString()}?format=raw`)
    expect(res.status).toBe(404)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    // a miss must not make the peer go looking on the network
    expect(await net.helia.blockstore.has(missing.cid)).toBe(false)

    expect((await fetch(`${net.httpUrl}/ipfs/${missing.cid.toString()}`)).status).toBe(406)
    expect((await fetch(`${net.httpUrl}/ipfs/not-a-cid?format=raw`)).status).toBe(400)
  })
})

describe('unknown IPNS names', () => {
  it('get the IPIP-0513 "not found" answer at once, with no peer connected', async () => {
    const alone = await startLocalNetwork()
    try {
      const key = await generateKeyPair('Ed25519')
      const name = peerIdFromPrivateKey(key).toCID().toString(base36)
      const res = await fetch(`${alone.routingUrl}/routing/v1/ipns/${name}`, { headers: { accept: 'application/vnd.ipfs.ipns-record' }, signal: AbortSignal.timeout(5_000) })
      // IPIP-0513: 200 with text/plain says "no record" (a record would be application/vnd.ipfs.ipns-record).
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
      expect(await res.text()).toBe('Record not found')
    } finally {
      await alone.stop()
    }
  })
})
