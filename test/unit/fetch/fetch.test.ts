import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAll, addBytes } from '../../../src/ipfs/add/index.js'
import { AllGatewaysFailedError, ContentPathNotFoundError, InvalidContentPathError, NotAvailableOfflineError, TamperedContentError, fetchBytes, fetchContent, getBlock, parseContentPath, peersFromNode } from '../../../src/ipfs/fetch/index.js'
import { KeyStore } from '../../../src/ipfs/ipns/keys.js'
import { publish } from '../../../src/ipfs/ipns/publish.js'
import { NameStateStore } from '../../../src/ipfs/ipns/records.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { deadGatewayUrl, pseudoRandomBytes, startGateway } from './helpers.js'
import type { FetchEvents } from '../../../src/ipfs/fetch/index.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestGateway } from './helpers.js'

const enc = new TextEncoder()
/** 2.5 MiB: three 1 MiB leaves and a root under unixfs-v1-2025. */
const BIG = pseudoRandomBytes(2.5 * 1024 * 1024, 7)
const HELLO = enc.encode('hello from a trustless gateway\n')

const source = new MemoryBlockstore()
let bigCid: CID
let helloCid: CID
let dirCid: CID
let honest: TestGateway
let tampered: TestGateway
let hanging: TestGateway
let dead: string

beforeAll(async () => {
  bigCid = (await addBytes(source, BIG, { profile: 'unixfs-v1-2025' })).cid
  helloCid = (await addBytes(source, HELLO, { profile: 'unixfs-v1-2025' })).cid
  const roots = await addAll(source, [
    { path: 'site/index.html', content: [enc.encode('<!doctype html><title>t</title><p>index</p>')] },
    { path: 'site/docs/a.txt', content: [enc.encode('a text file\n')] }
  ], { profile: 'unixfs-v1-2025' })
  dirCid = roots[0]!.cid
  honest = await startGateway(source, 'honest')
  tampered = await startGateway(source, 'tampered')
  hanging = await startGateway(source, 'hang')
  dead = await deadGatewayUrl()
})

afterAll(async () => {
  await Promise.all([honest?.close(), tampered?.close(), hanging?.close()])
})

function recorder (): { events: FetchEvents[], onProgress: (e: FetchEvents) => void } {
  const events: FetchEvents[] = []
  return { events, onProgress: e => { events.push(e) } }
}

describe('parseContentPath', () => {
  it('accepts the four address forms and a bare CID', () => {
    const cid = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
    expect(parseContentPath(`ipfs://${cid}/a/b?x=1`)).toEqual({ namespace: 'ipfs', root: cid, path: '/a/b', search: '?x=1' })
    expect(parseContentPath(`/ipfs/${cid}`)).toEqual({ namespace: 'ipfs', root: cid, path: '', search: '' })
    expect(parseContentPath('ipns://example.org/x')).toEqual({ namespace: 'ipns', root: 'example.org', path: '/x', search: '' })
    expect(parseContentPath('/ipns/k51qzi5uqu5dl/y/')).toEqual({ namespace: 'ipns', root: 'k51qzi5uqu5dl', path: '/y/', search: '' })
    expect(parseContentPath(`${cid}/z`)).toEqual({ namespace: 'ipfs', root: cid, path: '/z', search: '' })
  })

  it('refuses what is not a content address, naming the forms it takes', () => {
    expect(() => parseContentPath('https://example.org/x')).toThrow(InvalidContentPathError)
    expect(() => parseContentPath('ipfs://not-a-cid/x')).toThrow(/is not a CID/)
    expect(() => parseContentPath('/ipfs/')).toThrow(/has no CID/)
  })
})

describe('verified retrieval through trustless gateways', () => {
  it('fetches a multi-block file through a good gateway, verifies it and keeps the blocks', async () => {
    const local = new MemoryBlockstore()
    const { events, onProgress } = recorder()
    const t0 = performance.now()
    const got = await fetchBytes({ blockstore: local, gateways: [honest.url] }, `ipfs://${bigCid.toString()}`, { signal: AbortSignal.timeout(20_000), onProgress })
    const ms = performance.now() - t0
    expect(got.bytes.byteLength).toBe(BIG.byteLength)
    expect(Buffer.compare(Buffer.from(got.bytes), Buffer.from(BIG))).toBe(0)
    expect(got.ipfsPath).toBe(`/ipfs/${bigCid.toString()}`)
    const oks = events.filter(e => e.type === 'fetch:gateway:ok').map(e => (e.detail as { cid: string }).cid)
    expect(new Set(oks).size).toBe(4) // root + 3 leaves
    expect(oks.length).toBe(4) // one request per block: concurrent readers share one retrieval
    console.log(`[measure] 2.5 MiB file, 4 blocks from a loopback gateway: ${ms.toFixed(0)} ms`)

    // The blocks are now local: an offline read needs no gateway at all.
    const before = honest.requests.length
    const again = await fetchBytes({ blockstore: local, gateways: [] }, `/ipfs/${bigCid.toString()}`, { offline: true })
    expect(again.bytes.byteLength).toBe(BIG.byteLength)
    expect(honest.requests.length).toBe(before)
  })

  it('reads a file by path inside a directory, and serves the directory index', async () => {
    const local = new MemoryBlockstore()
    const c = { blockstore: local, gateways: [honest.url] }
    const file = await fetchBytes(c, `ipfs://${dirCid.toString()}/docs/a.txt`, { signal: AbortSignal.timeout(10_000) })
    expect(new TextDecoder().decode(file.bytes)).toBe('a text file\n')
    expect(file.contentType).toMatch(/^text\/plain/)
    const index = await fetchBytes(c, `/ipfs/${dirCid.toString()}/`, { signal: AbortSignal.timeout(10_000) })
    expect(new TextDecoder().decode(index.bytes)).toContain('<p>index</p>')
    expect(index.contentType).toMatch(/^text\/html/)
    await expect(fetchBytes(c, `/ipfs/${dirCid.toString()}/missing.txt`, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(ContentPathNotFoundError)
  })

  it('rejects tampered bytes with TamperedContentError naming the gateway and CID, fast, and never returns or stores them', async () => {
    const local = new MemoryBlockstore()
    const t0 = performance.now()
    const err = await fetchBytes({ blockstore: local, gateways: [tampered.url] }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000) })
      .then(() => undefined, (e: unknown) => e)
    const ms = performance.now() - t0
    expect(err).toBeInstanceOf(TamperedContentError)
    const t = err as TamperedContentError
    expect(t.name).toBe('TamperedContentError')
    expect(t.code).toBe('ERR_TAMPERED_CONTENT')
    expect(t.gateway).toBe(tampered.url)
    expect(t.cid).toBe(helloCid.toString())
    expect(t.message).toContain(tampered.url)
    expect(t.message).toContain(helloCid.toString())
    expect(t.message).toMatch(/Remove or replace that gateway/)
    expect(ms).toBeLessThan(5_000) // well inside the 10 s signal: no silent retrying
    expect(await local.has(helloCid)).toBe(false)
    console.log(`[measure] tampered block rejected in ${ms.toFixed(0)} ms`)
  })

  it('rejects a tampered leaf in the middle of a streamed file with the same error', async () => {
    const local = new MemoryBlockstore()
    // The root comes from the honest gateway, then the honest one is gone: the leaves are tampered.
    const root = await getBlock({ blockstore: local, gateways: [honest.url] }, bigCid)
    expect(root.byteLength).toBeGreaterThan(0)
    const res = await fetchContent({ blockstore: local, gateways: [tampered.url] }, `ipfs://${bigCid.toString()}`, { signal: AbortSignal.timeout(10_000) })
      .catch((e: unknown) => e)
    if (res instanceof Response) {
      await expect(res.arrayBuffer()).rejects.toBeInstanceOf(TamperedContentError)
    } else {
      expect(res).toBeInstanceOf(TamperedContentError)
    }
  })

  it('skips a tampering gateway when the next one has the right bytes, and reports it', async () => {
    const { events, onProgress } = recorder()
    const got = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [tampered.url, honest.url] }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000), onProgress })
    expect(got.bytes).toEqual(HELLO)
    const failed = events.filter(e => e.type === 'fetch:gateway:failed')
    expect(failed.map(e => (e.detail as { gateway: string, kind: string }))).toEqual([expect.objectContaining({ gateway: tampered.url, kind: 'tampered' })])
  })

  it('skips a dead gateway (closed port) and uses the next one', async () => {
    const { events, onProgress } = recorder()
    const t0 = performance.now()
    const got = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [dead, honest.url] }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000), onProgress })
    const ms = performance.now() - t0
    expect(got.bytes).toEqual(HELLO)
    expect(events.filter(e => e.type === 'fetch:gateway:request').map(e => (e.detail as { gateway: string }).gateway)).toEqual([dead, honest.url])
    expect(events.find(e => e.type === 'fetch:gateway:failed')?.detail).toEqual(expect.objectContaining({ gateway: dead, kind: 'unreachable' }))
    console.log(`[measure] dead gateway skipped, content from the next in ${ms.toFixed(0)} ms`)
  })

  it('moves past a gateway that does not answer within gatewayTimeoutMs', async () => {
    const t0 = performance.now()
    const got = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [hanging.url, honest.url] }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000), gatewayTimeoutMs: 500 })
    expect(got.bytes).toEqual(HELLO)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(450)
    expect(hanging.requests.length).toBeGreaterThan(0)
  })

  it('lists every gateway failure when none works', async () => {
    const err = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [dead, hanging.url] }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000), gatewayTimeoutMs: 300 })
      .then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(AllGatewaysFailedError)
    const a = err as AllGatewaysFailedError
    expect(a.failures.map(f => [f.gateway, f.kind])).toEqual([[dead, 'unreachable'], [hanging.url, 'timeout']])
    expect(a.message).toContain(dead)
    expect(a.message).toContain(hanging.url)
  })

  it('says so when nothing is configured, and offline reads refuse missing blocks', async () => {
    await expect(fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [] }, `ipfs://${helloCid.toString()}`)).rejects.toThrow(/no trustless gateway is configured/)
    await expect(fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [honest.url] }, `ipfs://${helloCid.toString()}`, { offline: true })).rejects.toBeInstanceOf(NotAvailableOfflineError)
  })

  it('ends with the abort reason when the caller cancels during a hanging gateway', async () => {
    const t0 = performance.now()
    const err = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [hanging.url] }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(400) })
      .then(() => undefined, (e: unknown) => e)
    expect((err as Error).name).toBe('TimeoutError')
    expect(performance.now() - t0).toBeLessThan(3_000)
  })

  it('prefers peers over gateways, and verifies what peers send', async () => {
    const gw = await startGateway(source, 'honest')
    try {
      const peers = async (cid: CID): Promise<Uint8Array | undefined> => {
        const parts: Uint8Array[] = []
        for await (const c of source.get(cid)) parts.push(c)
        return Buffer.concat(parts)
      }
      const got = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [gw.url], peers }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000) })
      expect(got.bytes).toEqual(HELLO)
      expect(gw.requests).toEqual([])
      // A peer sending wrong bytes is ignored and the gateway is used.
      const liar = async (): Promise<Uint8Array> => enc.encode('not the block')
      const again = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [gw.url], peers: liar }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000) })
      expect(again.bytes).toEqual(HELLO)
      expect(gw.requests.length).toBe(1)
    } finally {
      await gw.close()
    }
  })
})

describe('peers before gateways', () => {
  it('stops asking peers once they lacked a block of the request', async () => {
    let asked = 0
    const peers = async (): Promise<undefined> => { asked++; return undefined }
    const got = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [honest.url], peers }, `ipfs://${bigCid.toString()}`, { signal: AbortSignal.timeout(20_000) })
    expect(got.bytes.byteLength).toBe(BIG.byteLength)
    expect(asked).toBe(1) // the root; the 3 leaves went straight to the gateway
  })

  it('asks the gateways too once peers have not answered within the head start', async () => {
    let peerAborted = false
    const silent = async (_cid: CID, options: { signal?: AbortSignal }): Promise<undefined> => {
      await new Promise<void>(resolve => { options.signal?.addEventListener('abort', () => { peerAborted = true; resolve() }) })
      return undefined
    }
    const { events, onProgress } = recorder()
    const t0 = performance.now()
    const got = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [honest.url], peers: silent }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000), peerHeadStartMs: 300, onProgress })
    const ms = performance.now() - t0
    expect(got.bytes).toEqual(HELLO)
    expect(ms).toBeGreaterThanOrEqual(280)
    expect(ms).toBeLessThan(3_000)
    expect(events.some(e => e.type === 'fetch:gateway:ok')).toBe(true)
    expect(peerAborted).toBe(true) // the peer request is cancelled once the gateway won
  })

  it('a tampering gateway still fails fast while peers are searching', async () => {
    const silent = async (_cid: CID, options: { signal?: AbortSignal }): Promise<undefined> => {
      await new Promise<void>(resolve => { options.signal?.addEventListener('abort', () => { resolve() }) })
      return undefined
    }
    const t0 = performance.now()
    await expect(fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [tampered.url], peers: silent }, `ipfs://${helloCid.toString()}`, { signal: AbortSignal.timeout(10_000), peerHeadStartMs: 200 }))
      .rejects.toBeInstanceOf(TamperedContentError)
    expect(performance.now() - t0).toBeLessThan(3_000)
  })

  it('peersFromNode asks the node only when it has connections, and gives up after its timeout', async () => {
    let gets = 0
    const connections: unknown[] = []
    const node = {
      libp2p: { getConnections: () => connections },
      blockstore: {
        get: async function * (cid: CID, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
          gets++
          if (!await source.has(cid)) {
            // like bitswap: wait for a peer until the signal ends
            await new Promise((_resolve, reject) => { options.signal?.addEventListener('abort', () => { reject(options.signal?.reason) }) })
          }
          yield * source.get(cid)
        }
      }
    }
    const peers = peersFromNode(node, { timeoutMs: 200 })
    expect(await peers(helloCid, {})).toBeUndefined()
    expect(gets).toBe(0)
    connections.push({})
    expect(await peers(helloCid, {})).toEqual(HELLO)
    const unknown = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
    const t0 = performance.now()
    expect(await peers(unknown, {})).toBeUndefined()
    expect(performance.now() - t0).toBeLessThan(2_000)
    expect(gets).toBe(2)
  })
})

describe('ipns:// through a local Routing V1 server and the local network gateway', () => {
  let network: LocalNetwork
  beforeAll(async () => { network = await startLocalNetwork({}) })
  afterAll(async () => { await network?.stop() })

  it('resolves a published name and fetches the content it points to', async () => {
    const content = enc.encode(`named content ${Date.now()}\n`)
    const added = await addAll(network.helia.blockstore, [{ path: 'named/hello.txt', content: [content] }], { profile: 'unixfs-v1-2025' })
    const root = added[0]!.cid
    const keys = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'pw' }, scryptLogN: 10 })
    const key = await keys.generate('site')
    const publisher = { keys, state: new NameStateStore(new MemoryDatastore()), routers: [network.routingUrl] }
    await publish(publisher, 'site', root, { lifetimeMs: 60 * 60 * 1000 })

    const { events, onProgress } = recorder()
    const reader = { state: new NameStateStore(new MemoryDatastore()), routers: [network.routingUrl] }
    const got = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [network.gatewayUrl], ipns: reader }, `ipns://${key.name.k51}/hello.txt`, { signal: AbortSignal.timeout(20_000), onProgress })
    expect(got.bytes).toEqual(content)
    expect(got.ipfsPath).toBe(`/ipfs/${root.toString()}/hello.txt`)
    expect(events.find(e => e.type === 'fetch:ipns:resolved')?.detail).toEqual({ name: key.name.k51, value: `/ipfs/${root.toV1().toString()}/hello.txt` })
    // The /ipns/ form works too.
    const again = await fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [network.gatewayUrl], ipns: reader }, `/ipns/${key.name.bafz}/hello.txt`, { signal: AbortSignal.timeout(20_000) })
    expect(again.bytes).toEqual(content)
  })

  it('asks for a router when a name is given without one', async () => {
    await expect(fetchBytes({ blockstore: new MemoryBlockstore(), gateways: [] }, 'ipns://k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8')).rejects.toThrow(/delegated router/)
  })
})
