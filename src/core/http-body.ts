/**
 * Reading the body of a response from a remote server with a size cap and under a signal.
 * `res.arrayBuffer()`, `json()` and `text()` buffer whatever arrives, and cancelling `res.body`
 * while they read fails (the stream is locked), so a slow or endless body could neither be capped
 * nor stopped. Here one reader is held and cancelled on abort or once the cap is passed.
 */
import { ResponseTooLargeError } from './errors.js'

export interface ReadBodyOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number
  /** Aborts the read (cancels the body); its reason is thrown. */
  signal?: AbortSignal | undefined
  /** Names the response in the error, e.g. `the IPNS record from http://router`. */
  what?: string | undefined
}

/** Small JSON answers of APIs (pin statuses, capabilities, DoH answers). */
export const MAX_JSON_BYTES = 1 << 20
/** Error bodies are only shown in messages: a few hundred bytes are enough. */
export const MAX_ERROR_BYTES = 16 << 10

function tooLarge (what: string | undefined, maxBytes: number): ResponseTooLargeError {
  return new ResponseTooLargeError(`${what ?? 'The response'} is larger than ${maxBytes} bytes, more than such an answer can be; it was not read further. Check that the URL points at the right kind of server.`)
}

/** The whole body, at most `maxBytes`; throws `ResponseTooLargeError` beyond, or the signal's reason. */
export async function readBody (res: Response, options: ReadBodyOptions): Promise<Uint8Array> {
  const { maxBytes, signal } = options
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {})
    throw tooLarge(options.what, maxBytes)
  }
  if (res.body === null) return new Uint8Array()
  const reader = res.body.getReader()
  const onAbort = (): void => { void reader.cancel(signal?.reason).catch(() => {}) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const parts: Uint8Array[] = []
    let length = 0
    for (;;) {
      signal?.throwIfAborted()
      const { done, value } = await reader.read()
      signal?.throwIfAborted()
      if (done) break
      length += value.byteLength
      if (length > maxBytes) {
        await reader.cancel().catch(() => {})
        throw tooLarge(options.what, maxBytes)
      }
      parts.push(value)
    }
    const out = new Uint8Array(length)
    let offset = 0
    for (const p of parts) { out.set(p, offset); offset += p.byteLength }
    return out
  } finally {
    signal?.removeEventListener('abort', onAbort)
    try { reader.releaseLock() } catch { /* a read still pending after cancel: the lock goes with the stream */ }
  }
}

/** `readBody` as UTF-8 text (invalid bytes replaced). */
export async function readText (res: Response, options: ReadBodyOptions): Promise<string> {
  return new TextDecoder().decode(await readBody(res, options))
}

/** `readBody` parsed as JSON; a `SyntaxError` for a body that is not JSON. */
export async function readJson (res: Response, options: ReadBodyOptions): Promise<unknown> {
  return JSON.parse(await readText(res, options)) as unknown
}
