/**
 * The static app server over real HTTP on 127.0.0.1: compressed bodies that decompress to the
 * file, encoding negotiation, cache headers per kind of file, and ETag revalidation.
 */
import { request } from 'node:http'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startStaticServer } from '../../../src/node/serve/static-server.js'
import { negotiateEncoding } from '../../../src/node/serve/encoding.js'
import type { StaticServer } from '../../../src/node/serve/static-server.js'

let dir: string
let server: StaticServer
// A script that compresses well but is not trivial: repeated lines with varying numbers.
const script = Array.from({ length: 4000 }, (_, i) => `export const value${i} = ${(i * 7919) % 1000} // line ${i}`).join('\n')
const png = new Uint8Array(4096).map((_, i) => (i * 131) & 0xff)

/** A raw HTTP GET (no automatic decompression): status, headers and the bytes as sent. */
async function rawGet (path: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }> {
  return await new Promise((resolve, reject) => {
    const req = request(new URL(path, server.url), { headers }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-static-'))
  await mkdir(join(dir, 'assets'))
  await mkdir(join(dir, 'icons'))
  await writeFile(join(dir, 'index.html'), `<!doctype html><title>t</title><script type="module" src="./assets/index-AbC12_xY.js"></script>${'<!-- pad -->'.repeat(100)}`)
  await writeFile(join(dir, 'assets', 'index-AbC12_xY.js'), script)
  await writeFile(join(dir, 'sw.js'), script)
  await writeFile(join(dir, 'manifest.webmanifest'), JSON.stringify({ name: 'Cairn', icons: [] }))
  await writeFile(join(dir, 'icons', 'icon-192.png'), png)
  server = await startStaticServer({ root: dir })
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

describe('static server', () => {
  it('sends brotli to fetch, and the body decompresses to the file', async () => {
    const res = await fetch(new URL('assets/index-AbC12_xY.js', server.url), { headers: { 'accept-encoding': 'gzip, deflate, br' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBe('br')
    expect(res.headers.get('vary')).toBe('Accept-Encoding')
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await res.text()).toBe(script)
  })

  it('sends gzip when only gzip is accepted, and the raw bytes are smaller and gunzip to the file', async () => {
    const res = await rawGet('assets/index-AbC12_xY.js', { 'accept-encoding': 'gzip' })
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(Number(res.headers['content-length'])).toBe(res.body.byteLength)
    expect(res.body.byteLength).toBeLessThan(Buffer.byteLength(script) / 3)
    expect(gunzipSync(res.body).toString()).toBe(script)
  })

  it('sends brotli bytes that decompress to the file', async () => {
    const res = await rawGet('assets/index-AbC12_xY.js', { 'accept-encoding': 'br' })
    expect(res.headers['content-encoding']).toBe('br')
    expect(brotliDecompressSync(res.body).toString()).toBe(script)
  })

  it('sends the file as it is without Accept-Encoding, when every encoding is refused, and for images', async () => {
    const plain = await rawGet('assets/index-AbC12_xY.js')
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.body.toString()).toBe(script)
    const refused = await rawGet('assets/index-AbC12_xY.js', { 'accept-encoding': 'br;q=0, gzip;q=0, *;q=0' })
    expect(refused.headers['content-encoding']).toBeUndefined()
    expect(refused.body.toString()).toBe(script)
    const image = await rawGet('icons/icon-192.png', { 'accept-encoding': 'br, gzip' })
    expect(image.headers['content-encoding']).toBeUndefined()
    expect(new Uint8Array(image.body)).toEqual(png)
  })

  it('caches hashed assets for a year and revalidates the HTML, the service worker, the manifest and icons', async () => {
    const asset = await fetch(new URL('assets/index-AbC12_xY.js', server.url))
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    for (const path of ['', 'index.html', 'sw.js', 'manifest.webmanifest', 'icons/icon-192.png']) {
      const res = await fetch(new URL(path, server.url))
      expect(res.status, path).toBe(200)
      expect(res.headers.get('cache-control'), path).toBe('no-cache')
      await res.arrayBuffer()
    }
  })

  it('answers 304 to a revalidation with the current ETag, and 200 once the file changed', async () => {
    const first = await fetch(new URL('sw.js', server.url))
    const etag = first.headers.get('etag')
    expect(etag).toMatch(/^W\/"/)
    await first.arrayBuffer()
    const again = await fetch(new URL('sw.js', server.url), { headers: { 'if-none-match': etag! } })
    expect(again.status).toBe(304)
    expect(again.headers.get('cache-control')).toBe('no-cache')
    await writeFile(join(dir, 'sw.js'), script + '\n// a new deploy')
    const changed = await fetch(new URL('sw.js', server.url), { headers: { 'if-none-match': etag! } })
    expect(changed.status).toBe(200)
    expect(await changed.text()).toBe(script + '\n// a new deploy')
  })

  it('answers HEAD with the encoded length and no body', async () => {
    const head = await fetch(new URL('assets/index-AbC12_xY.js', server.url), { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-encoding')).toBe('gzip')
    expect(await head.text()).toBe('')
  })
})

describe('negotiateEncoding', () => {
  it('prefers brotli, honours q-values and *', () => {
    expect(negotiateEncoding('gzip, deflate, br, zstd')).toBe('br')
    expect(negotiateEncoding('gzip')).toBe('gzip')
    expect(negotiateEncoding('br;q=0.5, gzip;q=1.0')).toBe('gzip')
    expect(negotiateEncoding('br;q=0, gzip')).toBe('gzip')
    expect(negotiateEncoding('*')).toBe('br')
    expect(negotiateEncoding('*;q=0')).toBe('identity')
    expect(negotiateEncoding('identity')).toBe('identity')
    expect(negotiateEncoding(undefined)).toBe('identity')
    expect(negotiateEncoding('')).toBe('identity')
  })
})
