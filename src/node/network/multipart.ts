/**
 * A small streaming `multipart/form-data` reader (RFC 7578) for the Kubo RPC and Cluster subsets:
 * parts come one at a time, each body as a stream of chunks, so a CAR upload is verified and
 * stored block by block and never held whole. The body is capped at `maxBytes` in total and each
 * part's header block at 16 KiB.
 */
import { CairnError } from '../../core/errors.js'

/** An upload is not well-formed multipart, or is too large (`status` 413). */
export class MultipartError extends CairnError {
  static override readonly code = 'ERR_MULTIPART'
  readonly status: number
  constructor (message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options)
    this.status = options?.status ?? 400
  }
}

const CRLF = new Uint8Array([13, 10])
const CRLF2 = new Uint8Array([13, 10, 13, 10])
const MAX_HEADER_BYTES = 16 * 1024

export interface MultipartPart {
  /** `name` from Content-Disposition. */
  name: string | undefined
  /** `filename` from Content-Disposition. */
  filename: string | undefined
  contentType: string | undefined
  /** The part's bytes; read it to the end (or break) before asking for the next part. */
  body: AsyncIterable<Uint8Array>
}

/** The boundary of a `multipart/form-data` Content-Type; undefined for any other type. */
export function multipartBoundary (contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  const [type, ...params] = contentType.split(';').map(s => s.trim())
  if (type?.toLowerCase() !== 'multipart/form-data') return undefined
  for (const p of params) {
    const eq = p.indexOf('=')
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue
    let value = p.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
    if (value.length > 0 && value.length <= 70) return value
  }
  return undefined
}

function indexOf (haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]
  outer: for (let i = haystack.indexOf(first ?? 0, from); i >= 0 && i <= haystack.byteLength - needle.byteLength; i = haystack.indexOf(first ?? 0, i + 1)) {
    for (let j = 1; j < needle.byteLength; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a)
  out.set(b, a.byteLength)
  return out
}

function parseHeaders (text: string): { name?: string, filename?: string, contentType?: string } {
  const out: { name?: string, filename?: string, contentType?: string } = {}
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const key = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (key === 'content-type') out.contentType = value
    if (key === 'content-disposition') {
      for (const m of value.matchAll(/;\s*(name|filename)="((?:[^"\\]|\\.)*)"/gi)) {
        const k = m[1]?.toLowerCase()
        const v = (m[2] ?? '').replace(/\\(.)/g, '$1')
        if (k === 'name') out.name = v
        if (k === 'filename') out.filename = v
      }
    }
  }
  return out
}

/**
 * Reads `source` as a multipart body with `boundary`, yielding each part. Throws
 * `MultipartError` on a malformed body, or when it exceeds `maxBytes`.
 */
export async function * readMultipart (source: AsyncIterable<Uint8Array>, boundary: string, options: { maxBytes: number }): AsyncGenerator<MultipartPart> {
  const delimiter = new TextEncoder().encode(`\r\n--${boundary}`)
  const iterator = source[Symbol.asyncIterator]()
  // The body starts with `--boundary` (no CRLF before it): pretend it had one.
  let buf: Uint8Array = CRLF
  let total = 0
  let ended = false
  const more = async (): Promise<boolean> => {
    if (ended) return false
    const next = await iterator.next()
    if (next.done === true) {
      ended = true
      return false
    }
    const chunk = next.value instanceof Uint8Array ? next.value : new Uint8Array(next.value as ArrayBuffer)
    total += chunk.byteLength
    if (total > options.maxBytes) throw new MultipartError(`The upload is larger than ${options.maxBytes} bytes: send it in smaller parts.`, { status: 413 })
    buf = concat(buf, chunk)
    return true
  }
  const need = async (bytes: number, what: string): Promise<void> => {
    while (buf.byteLength < bytes) if (!await more()) throw new MultipartError(`The multipart body ends in the middle of ${what}.`)
  }

  // Preamble: up to the first delimiter.
  for (;;) {
    const at = indexOf(buf, delimiter)
    if (at >= 0) {
      buf = buf.subarray(at + delimiter.byteLength)
      break
    }
    if (buf.byteLength > MAX_HEADER_BYTES) throw new MultipartError(`The body does not start with the multipart boundary "${boundary}".`)
    if (!await more()) throw new MultipartError(`The body has no multipart boundary "${boundary}".`)
  }
  try {
    for (;;) {
      await need(2, 'a boundary')
      if (buf[0] === 45 && buf[1] === 45) return // `--`: the closing delimiter
      // Transport padding, then CRLF.
      let eol = indexOf(buf, CRLF)
      while (eol < 0) {
        if (buf.byteLength > 256) throw new MultipartError('A multipart boundary line is malformed.')
        await need(buf.byteLength + 1, 'a boundary line')
        eol = indexOf(buf, CRLF)
      }
      buf = buf.subarray(eol + 2)
      // Headers, up to an empty line.
      await need(2, "a part's headers")
      let headers: ReturnType<typeof parseHeaders> = {}
      if (buf[0] === 13 && buf[1] === 10) {
        buf = buf.subarray(2)
      } else {
        let end = indexOf(buf, CRLF2)
        while (end < 0) {
          if (buf.byteLength > MAX_HEADER_BYTES) throw new MultipartError(`A part's headers are longer than ${MAX_HEADER_BYTES} bytes.`)
          await need(buf.byteLength + 1, "a part's headers")
          end = indexOf(buf, CRLF2)
        }
        headers = parseHeaders(new TextDecoder().decode(buf.subarray(0, end)))
        buf = buf.subarray(end + 4)
      }
      let done = false
      const body = async function * (): AsyncGenerator<Uint8Array> {
        for (;;) {
          const at = indexOf(buf, delimiter)
          if (at >= 0) {
            const data = buf.subarray(0, at)
            buf = buf.subarray(at + delimiter.byteLength)
            done = true
            if (data.byteLength > 0) yield data
            return
          }
          // Keep what could be the start of the delimiter.
          const keep = delimiter.byteLength - 1
          if (buf.byteLength > keep) {
            const data = buf.subarray(0, buf.byteLength - keep)
            buf = buf.subarray(buf.byteLength - keep)
            yield data
          }
          if (!await more()) throw new MultipartError('The multipart body ends in the middle of a part (no closing boundary).')
        }
      }
      yield { name: headers.name, filename: headers.filename, contentType: headers.contentType, body: body() }
      if (!done) {
        // The consumer stopped early: skip the rest of the part.
        for await (const _ of body()) { /* skip */ }
      }
    }
  } finally {
    await iterator.return?.()
  }
}
