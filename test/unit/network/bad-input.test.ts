/**
 * Bad input to the Node servers: an older IPNS record over HTTP, a CAR upload with one bad block, a
 * JSON body over the limit, a broken %-escape. Real servers on 127.0.0.1, the real CLI process.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CarWriter } from '@ipld/car'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { base36 } from 'multiformats/bases/base36'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { startStaticServer } from '../../../src/node/serve/static-server.js'
import { rawBlock } from './helpers.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const IPNS_RECORD = 'application/vnd.ipfs.ipns-record'
let net: LocalNetwork
let dir: string

beforeAll(async () => {
  net = await startLocalNetwork()
  dir = await mkdtemp(join(tmpdir(), 'cairn-net-bad-input-'))
})
afterAll(async () => {
  await net?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true, maxRetries: 5 })
})

async function cairn (args: string[]): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/cairn.mjs'), ...args], { cwd: dir, env: { ...process.env, CAIRN_HOME: join(dir, 'home') }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const code = await new Promise<number | null>(resolve => { child.once('exit', (c) => { resolve(c) }) })
  return { code, stderr }
}

const pinning = (path: string, init: RequestInit): Promise<Response> =>
  fetch(`${net.pinningService.endpoint}${path}`, { ...init, headers: { authorization: `Bearer ${net.pinningService.token}`, ...(init.headers as Record<string, string>) } })

describe('the local network on bad input', () => {
  it('refuses an older IPNS record over HTTP with 409, keeps the newer one, and cairn ipns push reports it (exit 1)', async () => {
    const key = await generateKeyPair('Ed25519')
    const k51 = peerIdFromPrivateKey(key).toCID().toString(base36)
    const { cid } = await rawBlock('newer target')
    const newer = marshalIPNSRecord(await createIPNSRecord(key, cid, 5n, 60_000))
    const older = marshalIPNSRecord(await createIPNSRecord(key, cid, 4n, 60_000))
    const put = async (body: Uint8Array): Promise<Response> => await fetch(`${net.httpUrl}/routing/v1/ipns/${k51}`, { method: 'PUT', headers: { 'content-type': IPNS_RECORD }, body: new Uint8Array(body) })
    expect((await put(newer)).status).toBe(200)
    const res = await put(older)
    expect(res.status).toBe(409)
    expect(await res.text()).toMatch(/refused.*higher sequence/i)
    const held = await fetch(`${net.httpUrl}/routing/v1/ipns/${k51}`, { headers: { accept: IPNS_RECORD } })
    expect(new Uint8Array(await held.arrayBuffer())).toEqual(newer)

    const file = join(dir, 'older.ipns-record')
    await writeFile(file, older)
    const cli = await cairn(['ipns', 'push', '--routing', net.httpUrl, '--name', k51, file])
    expect(cli.code, cli.stderr).toBe(1)
    expect(cli.stderr).toMatch(/refused the record: 409 Conflict: Record refused: .*higher sequence/)
    expect(cli.stderr).not.toMatch(/^\s+ok\s/m)
  })

  it('a CAR upload with a bad block stores none of its blocks (all or nothing)', async () => {
    const good = await rawBlock('a good block before the bad one ' + Date.now())
    const other = await rawBlock('the bad block claims this CID')
    const { writer, out } = CarWriter.create([good.cid])
    const chunks: Uint8Array[] = []
    const collect = (async () => { for await (const c of out) chunks.push(c) })()
    await writer.put({ cid: good.cid, bytes: good.bytes })
    await writer.put({ cid: other.cid, bytes: new TextEncoder().encode('not the bytes of that CID') })
    await writer.close()
    await collect
    const res = await pinning('/car', { method: 'POST', headers: { 'content-type': 'application/vnd.ipld.car' }, body: Buffer.concat(chunks) })
    expect(res.status).toBe(400)
    expect(JSON.stringify(await res.json())).toMatch(/none of its blocks was stored/)
    const gw = await fetch(`${net.httpUrl}/ipfs/${good.cid.toString()}?format=raw`, { signal: AbortSignal.timeout(10_000) })
    expect(gw.status).not.toBe(200)
  })

  it('a JSON body over the limit gets a 413 that talks about the Pin object, not CARs', async () => {
    const res = await pinning('/pins', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cid: 'bafkqaaa', name: 'x'.repeat(2 << 20) }) })
    expect(res.status).toBe(413)
    const details = (await res.json() as { error: { details: string } }).error.details
    expect(details).toMatch(/Pin object/)
    expect(details).not.toMatch(/CAR/)
  })

  it('the static server answers a broken %-escape with 400, not 500', async () => {
    const server = await startStaticServer({ root: dir })
    try {
      const res = await fetch(`${server.url.replace(/\/$/, '')}/%E0%A4%A`)
      expect(res.status).toBe(400)
      expect(await res.text()).toMatch(/invalid %-escape/)
    } finally {
      await server.close()
    }
  })
})
