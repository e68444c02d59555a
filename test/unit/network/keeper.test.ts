/**
 * The local network peer as a keeper: what it holds survives a restart with the same home (pins
 * listed by the Pinning Service API, blocks served by the gateway and over bitswap, IPNS records
 * resolvable, the same peer id); held records are served past their TTL and re-sent to upstream
 * routers and connected record peers; a corrupt or foreign folder is refused, never wiped.
 */
import { readFile, readdir, writeFile, mkdtemp, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CarWriter } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createIPNSRecord, marshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, describe, expect, it } from 'vitest'
import { serveRecords } from '../../../src/ipfs/ipns/libp2p.js'
import { NetworkStoreError, startLocalNetwork } from '../../../src/node/network/index.js'
import { nextSendAt } from '../../../src/node/network/record-keeper.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { collect, rawBlock } from './helpers.js'
import type { LocalNetwork, LocalNetworkEvents } from '../../../src/node/network/index.js'

const IPNS_RECORD = 'application/vnd.ipfs.ipns-record'
const tmpDirs: string[] = []
const cleanup: Array<() => Promise<unknown>> = []

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {})
  await Promise.all(tmpDirs.map(async d => { await rm(d, { recursive: true, force: true, maxRetries: 5 }) }))
})

async function tempHome (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-keeper-'))
  tmpDirs.push(dir)
  return dir
}

async function started (net: Promise<LocalNetwork>): Promise<LocalNetwork> {
  const n = await net
  cleanup.push(async () => { await n.stop() })
  return n
}

async function newName (): Promise<{ key: Awaited<ReturnType<typeof generateKeyPair>>, k51: string, routingKey: Uint8Array }> {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key)
  return { key, k51: peerId.toCID().toString(base36), routingKey: multihashToIPNSRoutingKey(peerId.toMultihash()) }
}

async function putRecord (net: LocalNetwork, k51: string, record: Uint8Array): Promise<void> {
  const res = await fetch(`${net.routingUrl}/routing/v1/ipns/${k51}`, { method: 'PUT', headers: { 'content-type': IPNS_RECORD }, body: new Uint8Array(record) })
  expect(res.status).toBe(200)
}

/** The record held for the name, or undefined (404, or IPIP-0513's 200 text/plain). */
async function getRecord (net: LocalNetwork, k51: string): Promise<Uint8Array | undefined> {
  const res = await fetch(`${net.routingUrl}/routing/v1/ipns/${k51}`, { headers: { accept: IPNS_RECORD } })
  const held = res.status === 200 && (res.headers.get('content-type') ?? '').startsWith(IPNS_RECORD)
  return held ? new Uint8Array(await res.arrayBuffer()) : undefined
}

/** A dag-pb root over two raw leaves, as a CAR. */
async function smallDag (): Promise<{ root: CID, leaves: Array<{ cid: CID, bytes: Uint8Array }>, car: Uint8Array<ArrayBuffer> }> {
  const leaves = [await rawBlock(`kept leaf one ${Math.random()}`), await rawBlock(`kept leaf two ${Math.random()}`)]
  const rootBytes = dagPb.encode(dagPb.prepare({ Links: leaves.map((l, i) => ({ Hash: l.cid, Name: `leaf${i}`, Tsize: l.bytes.byteLength })) }))
  const root = CID.createV1(dagPb.code, await sha256.digest(rootBytes))
  const { writer, out } = CarWriter.create([root])
  const chunks: Uint8Array[] = []
  const reading = (async () => { for await (const c of out) chunks.push(c) })()
  await writer.put({ cid: root, bytes: rootBytes })
  for (const l of leaves) await writer.put(l)
  await writer.close()
  await reading
  return { root, leaves, car: new Uint8Array(Buffer.concat(chunks)) }
}

async function pinning (net: LocalNetwork, path: string, init: RequestInit = {}): Promise<Response> {
  return await fetch(`${net.pinningService.endpoint}${path}`, { ...init, headers: { authorization: `Bearer ${net.pinningService.token}`, ...(init.headers as Record<string, string> | undefined) } })
}

/** Resolves with the first event `match` accepts. */
function waitForEvent (events: EventTarget, match: (e: LocalNetworkEvents) => boolean, signal: AbortSignal): Promise<LocalNetworkEvents> {
  return new Promise((resolve, reject) => {
    const on = (evt: Event): void => {
      const e = (evt as CustomEvent<LocalNetworkEvents>).detail
      if (!match(e)) return
      events.removeEventListener('e', on)
      resolve(e)
    }
    events.addEventListener('e', on)
    signal.addEventListener('abort', () => { events.removeEventListener('e', on); reject(signal.reason) }, { once: true })
  })
}

function recorder (): { events: EventTarget, onProgress: (e: LocalNetworkEvents) => void } {
  const events = new EventTarget()
  return { events, onProgress: (e) => { events.dispatchEvent(new CustomEvent('e', { detail: e })) } }
}

describe('a restart with the same home', () => {
  it('keeps the pin, its blocks (gateway and bitswap), the IPNS record and the peer id', async () => {
    const home = await tempHome()
    const first = await startLocalNetwork({ home })
    const { root, leaves, car } = await smallDag()
    const upload = await pinning(first, '/car', { method: 'POST', headers: { 'content-type': 'application/vnd.ipld.car' }, body: car })
    expect(upload.status).toBe(200)
    const added = await (await pinning(first, '/pins', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cid: root.toString(), name: 'kept' }) })).json() as { requestid: string }
    await new Promise<void>((resolve, reject) => {
      const check = (status: string, reason?: string): void => {
        if (status === 'pinned') resolve()
        if (status === 'failed') reject(new Error(reason))
      }
      first.pins.subscribe(added.requestid, (job) => { check(job.status, job.reason) })
      const now = first.pins.get(added.requestid)
      if (now !== undefined) check(now.status, now.reason)
    })
    const name = await newName()
    const record = marshalIPNSRecord(await createIPNSRecord(name.key, `/ipfs/${root.toString()}`, 3n, 60 * 60_000))
    await putRecord(first, name.k51, record)
    const peerId = first.peerId.toString()
    await first.stop()

    const again = await started(startLocalNetwork({ home }))
    expect(again.peerId.toString()).toBe(peerId)
    expect(again.dataDir).toBe(join(home, 'network'))

    const list = await (await pinning(again, `/pins?cid=${root.toString()}`)).json() as { count: number, results: Array<{ requestid: string, status: string, pin: { name?: string } }> }
    expect(list.count).toBe(1)
    expect(list.results[0]).toMatchObject({ requestid: added.requestid, status: 'pinned', pin: { name: 'kept' } })
    expect(await again.helia.pins.isPinned(root)).toBe(true)

    for (const leaf of leaves) {
      const res = await fetch(`${again.gatewayUrl}/ipfs/${leaf.cid.toString()}?format=raw`)
      expect(res.status).toBe(200)
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(leaf.bytes)
    }

    const fresh = await createTestPeer()
    cleanup.push(async () => { await fresh.stop() })
    await fresh.libp2p.dial(multiaddr(again.relayAddrs[0] ?? ''))
    const leaf = leaves[1] as { cid: CID, bytes: Uint8Array }
    expect(await collect(fresh.blockstore.get(leaf.cid, { signal: AbortSignal.timeout(20_000) }))).toEqual(leaf.bytes)

    expect(await getRecord(again, name.k51)).toEqual(record)

    // a removed pin request stays removed after the next restart
    expect((await pinning(again, `/pins/${added.requestid}`, { method: 'DELETE' })).status).toBe(202)
    await again.stop()
    const third = await started(startLocalNetwork({ home }))
    expect((await (await pinning(third, `/pins?cid=${root.toString()}`)).json() as { count: number }).count).toBe(0)
    expect(await third.helia.pins.isPinned(root)).toBe(false)
  })
})

describe('held IPNS records', () => {
  it('are served after their TTL, and re-sent to upstream routers and connected record peers', async () => {
    const upstream = await started(startLocalNetwork())
    const { events, onProgress } = recorder()
    const keeper = await started(startLocalNetwork({ upstreamRouters: [upstream.routingUrl], resendMinIntervalMs: 200, onProgress }))

    // a peer that takes records over libp2p, as a tab does
    const taken = new Map<string, Uint8Array>()
    const tab = await createTestPeer()
    cleanup.push(async () => { await tab.stop() })
    await serveRecords(tab.libp2p, {
      put: async (key, value) => { taken.set(Buffer.from(key).toString('hex'), value) },
      get: async (key) => taken.get(Buffer.from(key).toString('hex'))
    })
    await tab.libp2p.dial(multiaddr(keeper.relayAddrs[0] ?? ''))

    const name = await newName()
    const { cid } = await rawBlock('a record with a short TTL')
    const ttlMs = 1000
    const record = marshalIPNSRecord(await createIPNSRecord(name.key, cid, 7n, 60 * 60_000, { ttlNs: BigInt(ttlMs) * 1_000_000n }))
    const signal = AbortSignal.timeout(30_000)
    const toUpstream = waitForEvent(events, e => e.type === 'network:ipns:resend' && e.detail.target === upstream.routingUrl && e.detail.name === name.k51, signal)
    const toTab = waitForEvent(events, e => e.type === 'network:ipns:resend' && e.detail.target === `/p2p/${tab.libp2p.peerId.toString()}` && e.detail.name === name.k51, signal)
    const putAt = Date.now()
    await putRecord(keeper, name.k51, record)

    expect((await toUpstream).detail).toMatchObject({ ok: true, sequence: '7' })
    expect(await getRecord(upstream, name.k51)).toEqual(record)
    expect((await toTab).detail).toMatchObject({ ok: true })
    expect(taken.get(Buffer.from(name.routingKey).toString('hex'))).toEqual(record)

    // past the TTL (a wait, not an assertion on time): still served, the validity has not ended
    const left = putAt + ttlMs + 50 - Date.now()
    if (left > 0) await new Promise(resolve => setTimeout(resolve, left))
    expect(await getRecord(keeper, name.k51)).toEqual(record)
  })

  it('are scheduled before their TTL and validity run out, no more often than the floor, and not past validity', () => {
    const now = 1_000_000
    expect(nextSendAt(now, now, 60_000, now + 3_600_000, 1000)).toBe(now + 45_000)
    // validity nearer than the TTL: half the time left
    expect(nextSendAt(now, now, 3_600_000, now + 60_000, 1000)).toBe(now + 30_000)
    // a tiny TTL: the floor
    expect(nextSendAt(now, now, 10, now + 3_600_000, 5000)).toBe(now + 5000)
    // overdue (after a restart): at once
    expect(nextSendAt(now, now - 100_000, 60_000, now + 3_600_000, 1000)).toBe(now)
    // the next send would fall after the validity ends: none
    expect(nextSendAt(now, now, 60_000, now + 3000, 5000)).toBeUndefined()
  })
})

describe('the folder on disk', () => {
  it('a corrupt held record is a clear error, and the file is left in place', async () => {
    const home = await tempHome()
    const net = await startLocalNetwork({ home })
    const name = await newName()
    const { cid } = await rawBlock('a record to corrupt')
    await putRecord(net, name.k51, marshalIPNSRecord(await createIPNSRecord(name.key, cid, 1n, 60 * 60_000)))
    await net.stop()
    const dir = join(home, 'network', 'datastore', 'cairn-network', 'ipns')
    const [file] = await readdir(dir)
    expect(file).toMatch(/\.data$/)
    const path = join(dir, file ?? '')
    await writeFile(path, 'not a record')

    const err = await startLocalNetwork({ home }).then(async n => { await n.stop(); return undefined }, (e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkStoreError)
    expect((err as Error).message).toMatch(/is not a valid record \(it is not JSON\)\. Delete that entry .* or move the whole local network folder aside/)
    expect(await readFile(path, 'utf8')).toBe('not a record')
    // the lock was released: once the entry is gone it starts
    await rm(path)
    await (await startLocalNetwork({ home })).stop()
  })

  it('a block damaged on disk is not served as the block', async () => {
    const home = await tempHome()
    const first = await startLocalNetwork({ home })
    const block = await rawBlock(`a block to damage ${Math.random()}`)
    await first.helia.blockstore.put(block.cid, block.bytes)
    await first.stop()
    const files: string[] = []
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name))
        else files.push(join(dir, e.name))
      }
    }
    await walk(join(home, 'network', 'blocks'))
    expect(files).toHaveLength(1)
    await writeFile(files[0] ?? '', 'damaged bytes')

    const again = await started(startLocalNetwork({ home }))
    const res = await fetch(`${again.gatewayUrl}/ipfs/${block.cid.toString()}?format=raw`)
    expect(res.status).not.toBe(200)
    expect(await res.text()).not.toContain('damaged bytes')
    await expect(collect(again.helia.blockstore.get(block.cid))).rejects.toThrow(/does not match its CID: its file is damaged\. Move .*blocks aside/)
  })

  it('a corrupt pin request is a clear error too', async () => {
    const home = await tempHome()
    await (await startLocalNetwork({ home })).stop()
    const dir = join(home, 'network', 'datastore', 'cairn-network', 'pins')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'some-request.data'), JSON.stringify({ requestid: 'some-request', cid: 'bafkqaaa' }))
    await expect(startLocalNetwork({ home })).rejects.toThrow(/The pin request \/cairn-network\/pins\/some-request in .* is not readable \(it lacks fields of a pin request.*\)\. Delete that entry/)
  })

  it('a folder that is not the peer\'s, or one in use, is refused', async () => {
    const home = await tempHome()
    await mkdir(join(home, 'network'))
    await writeFile(join(home, 'network', 'notes.txt'), 'mine')
    await expect(startLocalNetwork({ home })).rejects.toThrow(/holds files but is not a Cairn local network folder .* Move .* aside/)
    expect(await readFile(join(home, 'network', 'notes.txt'), 'utf8')).toBe('mine')

    const other = await tempHome()
    await started(startLocalNetwork({ home: other }))
    await expect(startLocalNetwork({ home: other })).rejects.toThrow(/already using .*network/)
  })
})
