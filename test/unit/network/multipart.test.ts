/**
 * The streaming multipart reader behind the Kubo and Cluster uploads: bodies built by the
 * platform's own FormData encoder (what fetch sends), cut into chunks at every possible place,
 * parts whose bytes look like a boundary, the size cap, malformed bodies.
 */
import { describe, expect, it } from 'vitest'
import { MultipartError, multipartBoundary, readMultipart } from '../../../src/node/network/multipart.js'
import { pseudoRandom } from '../push/helpers.js'

async function encode (form: FormData): Promise<{ body: Uint8Array, boundary: string }> {
  const req = new Request('http://127.0.0.1/', { method: 'POST', body: form })
  const boundary = multipartBoundary(req.headers.get('content-type') ?? undefined)
  if (boundary === undefined) throw new Error('no boundary')
  return { body: new Uint8Array(await req.arrayBuffer()), boundary }
}

async function * chunked (body: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.byteLength; i += size) yield body.subarray(i, i + size)
}

async function readAll (body: AsyncIterable<Uint8Array>, boundary: string, maxBytes = 1 << 24): Promise<Array<{ name?: string, filename?: string, contentType?: string, bytes: Buffer }>> {
  const out = []
  for await (const part of readMultipart(body, boundary, { maxBytes })) {
    const chunks: Uint8Array[] = []
    for await (const c of part.body) chunks.push(c)
    out.push({ name: part.name, filename: part.filename, contentType: part.contentType, bytes: Buffer.concat(chunks) })
  }
  return out
}

describe('readMultipart', () => {
  it('reads what fetch sends, whatever the chunk size', async () => {
    const one = pseudoRandom('one', 5000)
    const form = new FormData()
    form.append('file', new Blob([one as Uint8Array<ArrayBuffer>], { type: 'application/vnd.ipld.car' }), 'a "quoted".car')
    form.append('file', new Blob([new Uint8Array(0)]), 'empty')
    form.append('note', 'plain text')
    const { body, boundary } = await encode(form)
    for (const size of [1, 2, 3, 7, 45, 64, 1000, body.byteLength]) {
      const parts = await readAll(chunked(body, size), boundary)
      expect(parts.map(p => [p.name, p.filename, p.contentType, p.bytes.byteLength])).toEqual([
        // The platform's encoder escapes `"` in names as %22 (HTML's form encoding); it is kept as sent.
        ['file', 'a %22quoted%22.car', 'application/vnd.ipld.car', 5000],
        ['file', 'empty', 'application/octet-stream', 0],
        ['note', undefined, undefined, 10]
      ])
      expect(Buffer.compare(parts[0]?.bytes ?? Buffer.alloc(0), one)).toBe(0)
      expect(parts[2]?.bytes.toString()).toBe('plain text')
    }
  })

  it('keeps bytes that almost match the boundary', async () => {
    const form = new FormData()
    const { boundary } = await encode(new FormData())
    const tricky = new TextEncoder().encode(`x\r\n--${boundary.slice(0, -1)}y\r\n-\r\n--`)
    form.append('file', new Blob([tricky]), 'tricky')
    const encoded = await encode(form)
    const parts = await readAll(chunked(encoded.body, 5), encoded.boundary)
    expect(Buffer.compare(parts[0]?.bytes ?? Buffer.alloc(0), tricky)).toBe(0)
  })

  it('lets the consumer skip a part it does not read', async () => {
    const form = new FormData()
    form.append('a', 'skipped')
    form.append('b', 'read')
    const { body, boundary } = await encode(form)
    const names: string[] = []
    let read = ''
    for await (const part of readMultipart(chunked(body, 3), boundary, { maxBytes: 1 << 20 })) {
      names.push(part.name ?? '')
      if (part.name === 'b') for await (const c of part.body) read += Buffer.from(c).toString()
    }
    expect(names).toEqual(['a', 'b'])
    expect(read).toBe('read')
  })

  it('stops at the cap with a 413 MultipartError', async () => {
    const form = new FormData()
    form.append('file', new Blob([pseudoRandom('big', 100_000) as Uint8Array<ArrayBuffer>]), 'big')
    const { body, boundary } = await encode(form)
    const err = await readAll(chunked(body, 4096), boundary, 10_000).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MultipartError)
    expect((err as MultipartError).status).toBe(413)
  })

  it('says when the body is cut short or has no boundary', async () => {
    const form = new FormData()
    form.append('file', new Blob([pseudoRandom('cut', 1000) as Uint8Array<ArrayBuffer>]), 'cut')
    const { body, boundary } = await encode(form)
    await expect(readAll(chunked(body.subarray(0, 600), 100), boundary)).rejects.toThrow(/ends in the middle of a part/)
    await expect(readAll(chunked(new TextEncoder().encode('no boundary here'), 4), boundary)).rejects.toThrow(/has no multipart boundary/)
  })

  it('finds the boundary in a Content-Type, and only in multipart/form-data', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc')
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b')
    expect(multipartBoundary('application/json; boundary=abc')).toBeUndefined()
    expect(multipartBoundary('multipart/form-data')).toBeUndefined()
    expect(multipartBoundary(undefined)).toBeUndefined()
  })
})
