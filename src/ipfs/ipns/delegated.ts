/**
 * The IPNS part of the Delegated Routing V1 HTTP API: `GET` and `PUT /routing/v1/ipns/<name>`, and
 * DNSLink TXT lookups through a DNS-over-HTTPS JSON endpoint.
 */
import { withTimeout } from '../../core/options.js'
import { MAX_ERROR_BYTES, readBody } from '../../core/http-body.js'
import { RoutingError, RoutingTimeoutError } from './errors.js'
import { MAX_RECORD_SIZE } from './inspect.js'
import type { IPNSName } from './names.js'
import type { AbortOptions } from '../../core/options.js'

export const IPNS_RECORD_CONTENT_TYPE = 'application/vnd.ipfs.ipns-record'
/** A DNS message is at most 64 KiB; its JSON form is of the same order. */
const MAX_DOH_BYTES = 64 << 10
/** @default 30 s per request (headers and body). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

export interface HttpOptions extends AbortOptions {
  /** Per-request timeout in ms. @default DEFAULT_REQUEST_TIMEOUT_MS */
  timeoutMs?: number | undefined
  /** The fetch to use (tests, service workers). @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined
}

function ipnsUrl (endpoint: string, name: IPNSName): string {
  let base: URL
  try {
    base = new URL(endpoint)
  } catch (err) {
    throw new RoutingError(`"${endpoint}" is not a URL. Give a delegated router as http(s)://host[:port].`, { cause: err })
  }
  const path = base.pathname.replace(/\/+$/, '')
  return `${base.origin}${path}/routing/v1/ipns/${name.k51}`
}

/**
 * One request and the reading of its answer, under ONE timeout: a router that sends its headers
 * and then trickles (or never ends) its body fails like one that never answers.
 */
async function exchange<T> (url: string, init: RequestInit, options: HttpOptions, read: (res: Response, signal: AbortSignal) => Promise<T>): Promise<T> {
  const ms = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const { signal, clear } = withTimeout(options.signal, ms)
  const timedOut = (err: unknown): RoutingTimeoutError =>
    new RoutingTimeoutError(`${url} did not answer within ${ms} ms. Check that the router is running and not overloaded, or give a longer timeout.`, { cause: err })
  try {
    let res: Response
    try {
      const f = options.fetch ?? globalThis.fetch
      res = await f(url, { ...init, signal })
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      if (signal.aborted) throw timedOut(err)
      throw new RoutingError(`Could not reach ${url}: ${(err as Error).message}. Check the router URL and that it is running.`, { cause: err })
    }
    try {
      return await read(res, signal)
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      if (signal.aborted) throw timedOut(err)
      throw err
    } finally {
      // Whatever was not read (an early return, an error) is released now, not when collected.
      if (res.body !== null && !res.bodyUsed && !res.body.locked) void res.body.cancel().catch(() => {})
    }
  } finally {
    clear()
  }
}

/** The first bytes of an error answer, as text for a message. */
async function errorText (res: Response, signal: AbortSignal, max: number): Promise<string> {
  const bytes = await readBody(res, { maxBytes: MAX_ERROR_BYTES, signal }).catch(() => new Uint8Array())
  return new TextDecoder().decode(bytes.subarray(0, max))
}

/**
 * Fetches the raw record for a name from one router. Returns `undefined` when the router has none
 * (404, or IPIP-0513's `200 text/plain`). The bytes are NOT validated here, but a body over the
 * IPNS size limit (10 KiB) is refused unread (`ResponseTooLargeError`).
 */
export async function getIPNSRecord (endpoint: string, name: IPNSName, options: HttpOptions = {}): Promise<Uint8Array | undefined> {
  const url = ipnsUrl(endpoint, name)
  return await exchange(url, { method: 'GET', headers: { accept: IPNS_RECORD_CONTENT_TYPE } }, options, async (res, signal) => {
    if (res.status === 404) return undefined
    if (!res.ok) throw new RoutingError(`${url} answered ${res.status} ${res.statusText}: ${await errorText(res, signal, 200)}`)
    const type = res.headers.get('content-type') ?? ''
    if (!type.toLowerCase().startsWith(IPNS_RECORD_CONTENT_TYPE)) return undefined
    return await readBody(res, { maxBytes: MAX_RECORD_SIZE, signal, what: `The IPNS record from ${url}` })
  })
}

/** Stores a record at one router. Resolves with the HTTP status; throws `RoutingError` if refused. */
export async function putIPNSRecord (endpoint: string, name: IPNSName, record: Uint8Array, options: HttpOptions = {}): Promise<number> {
  const url = ipnsUrl(endpoint, name)
  return await exchange(url, { method: 'PUT', headers: { 'content-type': IPNS_RECORD_CONTENT_TYPE }, body: new Uint8Array(record) }, options, async (res, signal) => {
    const text = await errorText(res, signal, 300)
    if (!res.ok) {
      throw new RoutingError(`${url} refused the record: ${res.status} ${res.statusText}${text === '' ? '' : ': ' + text}`)
    }
    return res.status
  })
}

/** One DNSLink answer. */
export interface DNSLinkAnswer {
  /** The DNSLink value, e.g. `/ipfs/bafy…` or `/ipns/k51…`. */
  value: string
  /** The TXT record's TTL in seconds, when the DoH server reported one. */
  ttlSeconds: number | undefined
}

interface DoHJson {
  Status?: number
  Answer?: Array<{ name?: string, type?: number, TTL?: number, data?: string }>
}

/** The strings of a TXT record as a DoH JSON API renders it (`"a" "b"` → `ab`). */
function txtData (data: string): string {
  const parts = [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map(m => (m[1] ?? '').replace(/\\(.)/g, '$1'))
  return parts.length > 0 ? parts.join('') : data
}

/**
 * Looks up `_dnslink.<domain>` TXT through a DNS-over-HTTPS JSON endpoint
 * (`<doh>?name=_dnslink.<domain>&type=TXT`). Returns every `dnslink=` value, sorted.
 */
export async function queryDNSLink (domain: string, dohEndpoint: string, options: HttpOptions = {}): Promise<DNSLinkAnswer[]> {
  let url: URL
  try {
    url = new URL(dohEndpoint)
  } catch (err) {
    throw new RoutingError(`"${dohEndpoint}" is not a URL. Give a DNS-over-HTTPS JSON endpoint such as https://host/dns-query.`, { cause: err })
  }
  url.searchParams.set('name', `_dnslink.${domain}`)
  url.searchParams.set('type', 'TXT')
  const body = await exchange(url.toString(), { method: 'GET', headers: { accept: 'application/dns-json' } }, options, async (res, signal) => {
    if (!res.ok) throw new RoutingError(`The DoH endpoint ${url.origin} answered ${res.status} ${res.statusText} for _dnslink.${domain}.`)
    return await readBody(res, { maxBytes: MAX_DOH_BYTES, signal, what: `The DNS answer from ${url.origin}` })
  })
  let json: DoHJson
  try {
    json = JSON.parse(new TextDecoder().decode(body)) as DoHJson
  } catch (err) {
    throw new RoutingError(`The DoH endpoint ${url.origin} did not answer in the DNS JSON format. Check that the URL is a JSON DoH endpoint.`, { cause: err })
  }
  const answers: DNSLinkAnswer[] = []
  for (const a of json.Answer ?? []) {
    if (a.type !== 16 || typeof a.data !== 'string') continue
    const txt = txtData(a.data).trim()
    if (!txt.startsWith('dnslink=')) continue
    answers.push({ value: txt.slice('dnslink='.length).trim(), ttlSeconds: typeof a.TTL === 'number' ? a.TTL : undefined })
  }
  return answers.sort((a, b) => a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
}
