import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'
import { MemoryBlockstore } from 'blockstore-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getIPNSRecord, putIPNSRecord } from '../../../src/ipfs/ipns/delegated.js'
import { DNSLinkNotFoundError, PublishFailedError, RecordInvalidError, RecordNotFoundError, SequenceRollbackError } from '../../../src/ipfs/ipns/errors.js'
import { validateRecord } from '../../../src/ipfs/ipns/inspect.js'
import { expiresSoon, exportRecord, republish } from '../../../src/ipfs/ipns/keepalive.js'
import { KeyStore } from '../../../src/ipfs/ipns/keys.js'
import { nameFromPublicKey, parseName } from '../../../src/ipfs/ipns/names.js'
import { publish, pushRecord } from '../../../src/ipfs/ipns/publish.js'
import { LIBP2P_TARGET } from '../../../src/ipfs/ipns/sources.js'
import { NameStateStore, createRecord } from '../../../src/ipfs/ipns/records.js'
import { resolve } from '../../../src/ipfs/ipns/resolve.js'
import { MemoryIPNSRouter, startDoHServer, startRoutingServer } from './helpers.js'
import type { PublishEvents, PublishComponents } from '../../../src/ipfs/ipns/publish.js'
import type { TestRoutingServer } from './helpers.js'

const CID_A = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
const CID_B = 'bafybeib3ffl2teiqdncv3mkz4r23b5ctrwkzrrhctdbne6iboayxuxk5ui'

let server: TestRoutingServer
let server2: TestRoutingServer

beforeAll(async () => {
  server = await startRoutingServer()
  server2 = await startRoutingServer()
})

afterAll(async () => {
  await server?.close()
  await server2?.close()
})

async function components (routers: string[]): Promise<PublishComponents> {
  const keys = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'pw' }, scryptLogN: 10 })
  return { keys, state: new NameStateStore(new MemoryDatastore()), routers }
}

describe('publish and resolve against a real Routing V1 HTTP server', () => {
  it('publishes a CID and resolves it by k51, bafz and /ipns/ path', async () => {
    const c = await components([server.url])
    const key = await c.keys.generate('site')
    const events: PublishEvents[] = []
    const result = await publish(c, 'site', CID_A, { lifetimeMs: 60 * 60 * 1000, ttlMs: 60_000, onProgress: e => events.push(e) })
    expect(result.sequence).toBe(0n)
    expect(result.value).toBe(`/ipfs/${CID_A}`)
    expect(result.results).toEqual([{ target: server.url, ok: true, status: 200 }])
    expect(events.map(e => e.type)).toEqual(['ipns:publish:lookup', 'ipns:publish:signed', 'ipns:publish:target'])
    // the server really stored it: under the routing key of the name
    expect(server.router.records.get(Buffer.from(key.name.routingKey).toString('hex'))).toEqual(result.record)

    // A fresh resolver (its own state) resolves by both name forms.
    const reader = await components([server.url])
    for (const form of [key.name.k51, key.name.bafz, `/ipns/${key.name.k51}`, `/ipns/${key.name.bafz}/sub/dir`]) {
      const r = await resolve(reader, form)
      expect(r.value).toBe(form.endsWith('/sub/dir') ? `/ipfs/${CID_A}/sub/dir` : `/ipfs/${CID_A}`)
      expect(r.sequence).toBe(0n)
      expect(r.ttlMs).toBe(60_000)
      expect(r.expiresAt).toBeGreaterThan(Date.now() + 59 * 60 * 1000)
      expect(r.validity).toMatch(/^\d{4}-\d\d-\d\dT/)
    }
  })

  it('sequence numbers only go up: the next publish asks the routers and goes above them', async () => {
    const c = await components([server.url])
    await c.keys.generate('k')
    const first = await publish(c, 'k', CID_A)
    const second = await publish(c, 'k', `/ipfs/${CID_B}/root2`)
    expect(second.sequence).toBe(first.sequence + 1n)
    // Another device with the same key but no local state learns sequence 1 from the router.
    const other = await components([server.url])
    await other.keys.importKey('k', await c.keys.exportKey('k'))
    const third = await publish(other, 'k', CID_A)
    expect(third.sequence).toBe(2n)
    // an explicit sequence at or below the highest seen is refused
    const err = await publish(other, 'k', CID_A, { sequence: 2n }).catch(e => e)
    expect(err).toBeInstanceOf(SequenceRollbackError)
    expect((err as SequenceRollbackError).highestSeen).toBe(2n)
    expect((await publish(other, 'k', CID_A, { sequence: 10n })).sequence).toBe(10n)
  })

  it('refuses a rollback to a lower sequence when resolving', async () => {
    const c = await components([server.url])
    const key = await c.keys.generate('roll')
    await publish(c, 'roll', CID_A, { sequence: 5n })
    const reader = await components([server.url])
    expect((await resolve(reader, key.name.k51)).sequence).toBe(5n)
    // The router is made to serve an older (validly signed) record.
    const pk = await c.keys.privateKey('roll')
    const older = await createRecord(pk, `/ipfs/${CID_B}`, { sequence: 3n })
    await putIPNSRecord(server.url, key.name, older)
    expect(await getIPNSRecord(server.url, key.name)).toEqual(older)
    const err = await resolve(reader, key.name.bafz).catch(e => e)
    expect(err).toBeInstanceOf(SequenceRollbackError)
    expect((err as SequenceRollbackError).sequence).toBe(3n)
    expect((err as SequenceRollbackError).highestSeen).toBe(5n)
    // a reader that never saw 5 accepts 3 (it cannot know better)
    expect((await resolve(await components([server.url]), key.name.k51)).sequence).toBe(3n)
    // and the publisher's next record still goes above 5, even though the router holds 3
    expect((await publish(c, 'roll', CID_A)).sequence).toBe(6n)
  })

  it('picks the best record across routers and ignores invalid ones', async () => {
    const c = await components([server.url, server2.url])
    const key = await c.keys.generate('multi')
    const pk = await c.keys.privateKey('multi')
    await putIPNSRecord(server.url, key.name, await createRecord(pk, `/ipfs/${CID_A}`, { sequence: 4n }))
    await putIPNSRecord(server2.url, key.name, await createRecord(pk, `/ipfs/${CID_B}`, { sequence: 9n }))
    const r = await resolve(await components([server.url, server2.url]), key.name.k51)
    expect(r.value).toBe(`/ipfs/${CID_B}`)
    expect(r.sequence).toBe(9n)
    const step = r.steps[0]
    expect(step?.kind === 'ipns' && step.source).toBe(server2.url)
    // a router that serves another key's record for this name is ignored
    const stranger = await generateKeyPair('Ed25519')
    server2.router.records.set(Buffer.from(key.name.routingKey).toString('hex'), Uint8Array.from(await createRecord(stranger, `/ipfs/${CID_B}`, { sequence: 50n })))
    const events: string[] = []
    const r2 = await resolve(await components([server.url, server2.url]), key.name.k51, { onProgress: e => { if (e.type === 'ipns:resolve:answer' && e.detail.invalid !== undefined) events.push(e.detail.source) } })
    expect(r2.sequence).toBe(4n)
    expect(events).toEqual([server2.url])
  })

  it('reports per-endpoint status; fails only when no target accepts', async () => {
    const c = await components([server.url, 'http://127.0.0.1:9/'])
    await c.keys.generate('partial')
    const r = await publish(c, 'partial', CID_A, { timeoutMs: 5000 })
    expect(r.results[0]).toEqual({ target: server.url, ok: true, status: 200 })
    expect(r.results[1]?.ok).toBe(false)
    expect(r.results[1]?.error).toMatch(/Could not reach/)
    const dead = await components(['http://127.0.0.1:9'])
    await dead.keys.generate('x')
    const err = await publish(dead, 'x', CID_A, { timeoutMs: 5000 }).catch(e => e)
    expect(err).toBeInstanceOf(PublishFailedError)
    expect((err as PublishFailedError).results).toHaveLength(1)
  })

  it('an unknown name is not found', async () => {
    const stranger = await generateKeyPair('Ed25519')
    await expect(resolve(await components([server.url]), nameFromPublicKey(stranger.publicKey).k51)).rejects.toBeInstanceOf(RecordNotFoundError)
  })

  it('follows an /ipns/ value to the content path', async () => {
    const c = await components([server.url])
    const inner = await c.keys.generate('inner')
    await c.keys.generate('outer')
    await publish(c, 'inner', `/ipfs/${CID_B}/docs`)
    await publish(c, 'outer', `/ipns/${inner.name.k51}/v1`)
    const outer = await c.keys.get('outer')
    const r = await resolve(await components([server.url]), `/ipns/${outer.name.bafz}/readme.md`)
    expect(r.value).toBe(`/ipfs/${CID_B}/docs/v1/readme.md`)
    expect(r.steps.map(s => s.kind)).toEqual(['ipns', 'ipns'])
  })
})

describe('DNSLink over DoH', () => {
  it('resolves _dnslink TXT records, including to an IPNS name', async () => {
    const c = await components([server.url])
    const key = await c.keys.generate('dns')
    await publish(c, 'dns', CID_A)
    const doh = await startDoHServer({
      '_dnslink.example.org': [`dnslink=/ipfs/${CID_B}`],
      '_dnslink.named.example.org': [`dnslink=/ipns/${key.name.k51}`]
    })
    try {
      const r = await resolve(c, '/ipns/example.org/a', { dohEndpoint: doh.url })
      expect(r.value).toBe(`/ipfs/${CID_B}/a`)
      expect(r.ttlMs).toBe(120_000)
      expect(r.sequence).toBeUndefined()
      const n = await resolve(c, 'named.example.org', { dohEndpoint: doh.url })
      expect(n.value).toBe(`/ipfs/${CID_A}`)
      expect(n.steps.map(s => s.kind)).toEqual(['dnslink', 'ipns'])
      expect(doh.queries).toContain('_dnslink.example.org TXT')
      await expect(resolve(c, 'missing.example.org', { dohEndpoint: doh.url })).rejects.toBeInstanceOf(DNSLinkNotFoundError)
    } finally {
      await doh.close()
    }
  })
})

describe('keep-alive pieces', () => {
  it('republish re-signs the latest value with a higher sequence and fresh validity', async () => {
    const c = await components([server.url])
    const key = await c.keys.generate('keep')
    const first = await publish(c, 'keep', CID_A, { lifetimeMs: 60_000 })
    expect(expiresSoon(first.record, Date.now(), 5 * 60_000)).toBe(true)
    const again = await republish(c, 'keep', { lifetimeMs: 24 * 60 * 60_000 })
    expect(again.sequence).toBe(first.sequence + 1n)
    expect(again.value).toBe(first.value)
    expect(expiresSoon(again.record, Date.now(), 5 * 60_000)).toBe(false)
    const resolved = await resolve(await components([server.url]), key.name.k51)
    expect(resolved.sequence).toBe(again.sequence)
    // exportRecord gives the signed bytes; any republisher can put them back
    const bytes = await exportRecord(c.state, key.name.k51)
    expect(bytes).toEqual(again.record)
    await putIPNSRecord(server2.url, key.name, bytes)
    expect((await validateRecord((await getIPNSRecord(server2.url, key.name)) ?? new Uint8Array(), { name: key.name })).sequence).toBe(again.sequence)
    const fresh = await components([server.url])
    await fresh.keys.generate('never')
    await expect(republish(fresh, 'never')).rejects.toBeInstanceOf(RecordNotFoundError)
    await expect(exportRecord(fresh.state, (await fresh.keys.get('never')).name)).rejects.toBeInstanceOf(RecordNotFoundError)
  })

  it('republish with resignWithinMs sends the same signed record while it is far from expiry, and re-signs near it', async () => {
    const c = await components([server.url])
    const key = await c.keys.generate('steady')
    const first = await publish(c, 'steady', CID_A, { lifetimeMs: 48 * 60 * 60_000 })
    const kept = await republish(c, 'steady', { resignWithinMs: 24 * 60 * 60_000 })
    expect(kept.resent).toBe(true)
    expect(kept.sequence).toBe(first.sequence)
    expect(kept.record).toEqual(first.record)
    expect(kept.results).toEqual([{ target: server.url, ok: true, status: 200 }])
    expect((await resolve(await components([server.url]), key.name.k51)).sequence).toBe(first.sequence)
    // within the margin: re-signed with a higher sequence and a fresh lifetime
    const renewed = await republish(c, 'steady', { resignWithinMs: 72 * 60 * 60_000 })
    expect(renewed.resent).toBe(false)
    expect(renewed.sequence).toBe(first.sequence + 1n)
    expect(renewed.value).toBe(first.value)
  })
})

describe('publishing over a Helia node', () => {
  it('puts the record through helia.routing (libp2p) and resolves it back from there', async () => {
    const router = new MemoryIPNSRouter()
    const helia = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), routers: [router] })
    await helia.start()
    try {
      const c = await components([])
      c.helia = helia
      const key = await c.keys.generate('p2p')
      const r = await publish(c, 'p2p', CID_A)
      expect(r.results).toEqual([{ target: LIBP2P_TARGET, ok: true }])
      expect(router.puts).toBe(1)
      const reader = await components([])
      reader.helia = helia
      expect((await resolve(reader, parseName(key.name.bafz).k51)).value).toBe(`/ipfs/${CID_A}`)
    } finally {
      await helia.stop()
    }
  })
})

describe('carrying records and concurrency', () => {
  it('pushRecord carries a signed record to other routers without the key, never backwards', async () => {
    const c = await components([server.url])
    const key = await c.keys.generate('carried')
    await publish(c, 'carried', CID_A)
    const second = await publish(c, 'carried', CID_B)
    const bytes = await exportRecord(c.state, key.name)
    // a republisher with no key and its own state
    const carrier = { state: new NameStateStore(new MemoryDatastore()), routers: [server2.url] }
    const pushed = await pushRecord(carrier, bytes, { name: key.name.bafz })
    expect(pushed.sequence).toBe(second.sequence)
    expect(pushed.results).toEqual([{ target: server2.url, ok: true, status: 200 }])
    expect((await resolve({ state: new NameStateStore(new MemoryDatastore()), routers: [server2.url] }, key.name.k51)).value).toBe(`/ipfs/${CID_B}`)
    // an older record is refused once a newer one was carried
    const pk = await c.keys.privateKey('carried')
    const older = await createRecord(pk, `/ipfs/${CID_A}`, { sequence: 0n })
    await expect(pushRecord(carrier, older, { name: key.name })).rejects.toBeInstanceOf(SequenceRollbackError)
    // and a tampered one is refused before anything is sent
    const tampered = Uint8Array.from(bytes)
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 0xff
    await expect(pushRecord(carrier, tampered, { name: key.name })).rejects.toBeInstanceOf(RecordInvalidError)
  })

  it('concurrent publishes through one context get distinct, increasing sequences', async () => {
    const c = await components([server.url])
    await c.keys.generate('busy')
    const results = await Promise.all([publish(c, 'busy', CID_A), publish(c, 'busy', CID_B), publish(c, 'busy', CID_A)])
    expect(results.map(r => r.sequence).sort()).toEqual([0n, 1n, 2n])
  })

  it('honours an aborted signal', async () => {
    const c = await components([server.url])
    const key = await c.keys.generate('abort')
    const controller = new AbortController()
    controller.abort(new DOMException('stop', 'AbortError'))
    await expect(resolve(c, key.name.k51, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(publish(c, 'abort', CID_A, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('a Helia node without the record: not found', async () => {
    const helia = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), routers: [new MemoryIPNSRouter()] })
    await helia.start()
    try {
      const stranger = await generateKeyPair('Ed25519')
      const err = await resolve({ state: new NameStateStore(new MemoryDatastore()), routers: [], helia }, nameFromPublicKey(stranger.publicKey).k51).catch(e => e)
      expect(err).toBeInstanceOf(RecordNotFoundError)
      expect((err as Error).message).toMatch(/no router has one/)
    } finally {
      await helia.stop()
    }
  })
})
