/**
 * Background keep-alive: the record store the page and the service worker share (IndexedDB, here
 * fake-indexeddb, with the real WebCrypto device key), and the worker's re-send round against a
 * real local network (its Routing V1 server): a record re-sent from storage resolves there.
 */
import 'fake-indexeddb/auto'
import { createServer } from 'node:http'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getIPNSRecord, putIPNSRecord } from '../../../src/ipfs/ipns/delegated.js'
import { validateRecord } from '../../../src/ipfs/ipns/inspect.js'
import { nameFromPublicKey, parseName } from '../../../src/ipfs/ipns/names.js'
import { createRecord } from '../../../src/ipfs/ipns/records.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { openKeepAliveStore, sealKeeperToken, unsealKeeperToken } from '../../../src/platform/keepalive-store.js'
import { authorization, resendRecords, runKeepAlive } from '../../../src/sw/keepalive.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { KeepAliveStore } from '../../../src/platform/keepalive-store.js'
import type { AddressInfo } from 'node:net'

const CID_A = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
const CID_B = 'bafybeib3ffl2teiqdncv3mkz4r23b5ctrwkzrrhctdbne6iboayxuxk5ui'
const HOUR = 3_600_000

let net: LocalNetwork
let dbCount = 0
beforeAll(async () => { net = await startLocalNetwork() })
afterAll(async () => { await net?.stop() })

async function freshStore (): Promise<KeepAliveStore> { return await openKeepAliveStore(`test-keepalive-${++dbCount}`) }

async function signed (value: string, sequence: bigint, lifetimeMs = 48 * HOUR) {
  const key = await generateKeyPair('Ed25519')
  const name = nameFromPublicKey(key.publicKey)
  const record = await createRecord(key, value, { sequence, lifetimeMs, ttlMs: 1000 })
  return { key, name, record }
}

async function entry (name: string, record: Uint8Array) {
  const v = await validateRecord(record, { name, now: 0 })
  return { name, record, sequence: v.sequence.toString(), expiresAt: v.expiresAt, storedAt: Date.now() }
}

describe('the keep-alive store', () => {
  it('keeps the newest record of each name and never goes back to an older one', async () => {
    const store = await freshStore()
    const { key, name } = await signed(`/ipfs/${CID_A}`, 0n)
    const r5 = await createRecord(key, `/ipfs/${CID_A}`, { sequence: 5n, lifetimeMs: HOUR, ttlMs: 1000 })
    const r3 = await createRecord(key, `/ipfs/${CID_B}`, { sequence: 3n, lifetimeMs: HOUR, ttlMs: 1000 })
    expect(await store.putRecord(await entry(name.k51, r5))).toBe(true)
    expect(await store.putRecord(await entry(name.k51, r3))).toBe(false)
    const kept = await store.records()
    expect(kept).toHaveLength(1)
    expect(kept[0]!.sequence).toBe('5')
    expect(kept[0]!.record).toEqual(r5)
    await store.deleteRecord(name.k51)
    expect(await store.records()).toEqual([])
    store.close()
  })

  it('keeps keeper tokens sealed, bound to their endpoint', async () => {
    const store = await freshStore()
    const sealedToken = await sealKeeperToken('http://127.0.0.1:5001', 'user:secret')
    await store.putTargets({ routers: ['http://r'], keepers: [{ name: 'kubo', kind: 'kubo', endpoint: 'http://127.0.0.1:5001', sealedToken }], savedAt: 1 })
    const t = await store.targets()
    expect(JSON.stringify(t)).not.toContain('secret')
    expect(await unsealKeeperToken(t!.keepers[0]!)).toBe('user:secret')
    // The same ciphertext on another endpoint does not open.
    await expect(unsealKeeperToken({ ...t!.keepers[0]!, endpoint: 'http://127.0.0.1:9999' })).rejects.toThrow()
    expect(authorization('user:secret')).toBe(`Basic ${Buffer.from('user:secret').toString('base64')}`)
    expect(authorization('tok')).toBe('Bearer tok')
    store.close()
  })
})

describe('the service worker\'s re-send round', () => {
  it('re-sends a stored record to a router that never saw it, where it then resolves; an expired one is not sent', async () => {
    const store = await freshStore()
    const live = await signed(`/ipfs/${CID_A}`, 7n)
    const old = await signed(`/ipfs/${CID_B}`, 0n, 50)
    await store.putRecord(await entry(live.name.k51, live.record))
    await store.putRecord(await entry(old.name.k51, old.record))
    await store.putTargets({ routers: [net.routingUrl], keepers: [], savedAt: Date.now() })
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(await getIPNSRecord(net.routingUrl, live.name)).toBeUndefined()

    const run = await runKeepAlive(store)
    expect(run.sent).toBe(1)
    expect(run.expired).toBe(1)
    expect(run.results.filter(r => r.ok)).toEqual([{ name: live.name.k51, target: net.routingUrl, ok: true }])
    const back = await getIPNSRecord(net.routingUrl, live.name)
    expect(back).toBeDefined()
    const v = await validateRecord(back!, { name: live.name })
    expect(v.value).toBe(`/ipfs/${CID_A}`)
    expect(v.sequence).toBe(7n)
    expect(await getIPNSRecord(net.routingUrl, old.name)).toBeUndefined()
    // What the worker did is kept for the Names page.
    expect((await store.lastRun())?.sent).toBe(1)
    store.close()
  })

  it('reports a refusing router per target and still sends to the others', async () => {
    const live = await signed(`/ipfs/${CID_A}`, 2n)
    // The router already holds a higher sequence: it refuses the rollback (409).
    const newer = await createRecord(live.key, `/ipfs/${CID_B}`, { sequence: 3n, lifetimeMs: HOUR, ttlMs: 1000 })
    await putIPNSRecord(net.routingUrl, live.name, newer)
    const run = await resendRecords([{ name: live.name.k51, record: live.record }], { routers: [net.routingUrl, 'http://127.0.0.1:9'], keepers: [] }, { timeoutMs: 5000 })
    expect(run.results).toHaveLength(2)
    expect(run.results.every(r => !r.ok)).toBe(true)
    expect(run.results[0]!.error).toMatch(/409/)
  })

  it('sends records to a Kubo keeper as routing/put with a multipart file, and skips a keeper whose token it cannot unseal', async () => {
    // A loopback stand-in for Kubo's RPC routing/put: it checks the request as Kubo reads it
    // (POST, ?arg=/ipns/<name>, a multipart file, the credentials) and stores the record at the
    // local network's router, as a Kubo node would put it into its routing.
    const seen: string[] = []
    const kubo = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://x')
        const chunks: Buffer[] = []
        for await (const c of req) chunks.push(c as Buffer)
        const form = await new Request('http://x', { method: 'POST', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) }).formData()
        const file = form.get('file')
        seen.push(`${req.method} ${url.pathname} ${url.searchParams.get('arg')} ${req.headers.authorization}`)
        if (req.headers.authorization !== `Basic ${Buffer.from('admin:pw').toString('base64')}` || !(file instanceof Blob)) {
          res.writeHead(401).end('unauthorised')
          return
        }
        const name = parseName((url.searchParams.get('arg') ?? '').replace(/^\/ipns\//, ''))
        await putIPNSRecord(net.routingUrl, name, new Uint8Array(await file.arrayBuffer()))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })().catch(err => { res.writeHead(500).end(String(err)) })
    })
    await new Promise<void>(resolve => kubo.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(kubo.address() as AddressInfo).port}`
    try {
      const store = await freshStore()
      const live = await signed(`/ipfs/${CID_B}`, 1n)
      await store.putRecord(await entry(live.name.k51, live.record))
      await store.putTargets({
        routers: [],
        keepers: [
          { name: 'my kubo', kind: 'kubo', endpoint, sealedToken: await sealKeeperToken(endpoint, 'admin:pw') },
          // A ciphertext sealed for another endpoint: the worker must not open it.
          { name: 'moved kubo', kind: 'kubo', endpoint: `${endpoint}/other`, sealedToken: await sealKeeperToken(endpoint, 'admin:pw') }
        ],
        savedAt: Date.now()
      })
      const run = await runKeepAlive(store)
      expect(run.skipped.map(s => s.keeper)).toEqual(['moved kubo'])
      expect(run.skipped[0]!.reason).toMatch(/could not unseal/)
      expect(run.results).toEqual([{ name: live.name.k51, target: 'my kubo', ok: true }])
      expect(seen).toEqual([`POST /api/v0/routing/put /ipns/${live.name.k51} Basic ${Buffer.from('admin:pw').toString('base64')}`])
      const back = await getIPNSRecord(net.routingUrl, live.name)
      expect((await validateRecord(back!, { name: live.name })).value).toBe(`/ipfs/${CID_B}`)
      store.close()
    } finally {
      await new Promise(resolve => kubo.close(resolve))
    }
  })
})
