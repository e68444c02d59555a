/**
 * The IPNS part of the Delegated Routing V1 HTTP API: `GET` and `PUT /routing/v1/ipns/<name>`, and
 * DNSLink TXT lookups through a DNS-over-HTTPS JSON endpoint.
 */
import { withTimeout } from '../../core/options.js'
import { RoutingError } from './errors.js'
import type { IPNSName } from './names.js'
import type { AbortOptions } from '../../core/options.js'

export const IPNS_RECORD_CONTENT_TYPE = 'application/vnd.ipfs.ipns-record'
/** @default 30 s per request. */
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

async function request (url: string, init: RequestInit, options: HttpOptions): Promise<Response> {
  const { signal, clear } = withTimeout(options.signal, options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
  try {
    const f = options.fetch ?? globalThis.fetch
    return await f(url, { ...init, signal })
  } catch (err) {
    if (options.signal?.aborted === true) throw err
    throw new RoutingError(`Could not reach ${url}: ${(err as Error).message}. Check the router URL and that it is running.`, { cause: err })
  } finally {
    clear()
  }
}

async function readBody (res: Response, options: HttpOptions): Promise<Uint8Array> {
  const { signal, clear } = withTimeout(options.signal, options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS)
  try {
    const onAbort = (): void => { void res.body?.cancel().catch(() => {}) }
    signal.addEventListener('abort', onAbort, { once: true })
    const bytes = new Uint8Array(await res.arrayBuffer())
    signal.removeEventListener('abort', onAbort)
    return bytes
  } finally {
    clear()
  }
}

/**
 * Fetches the raw record for a name from one router. Returns `undefined` when the router has none
 * (404, or IPIP-0513's `200 text/plain`). The bytes are NOT validated here.
 */
export async function getIPNSRecord (endpoint: string, name: IPNSName, options: HttpOptions = {}): Promise<Uint8Array | undefined> {
  const url = ipnsUrl(endpoint, name)
  const res = await request(url, { method: 'GET', headers: { accept: IPNS_RECORD_CONTENT_TYPE } }, options)
  if (res.status === 404) {
    await res.body?.cancel().catch(() => {})
    return undefined
  }
  if (!res.ok) {
    const text = (await readBody(res, options).catch(() => new Uint8Array())).subarray(0, 200)
    throw new RoutingError(`${url} answered ${res.status} ${res.statusText}: ${new TextDecoder().decode(text)}`)
  }
  const type = res.headers.get('content-type') ?? ''
  const body = await readBody(res, options)
  if (!type.toLowerCase().startsWith(IPNS_RECORD_CONTENT_TYPE)) return undefined
  return body
}

/** Stores a record at one router. Resolves with the HTTP status; throws `RoutingError` if refused. */
export async function putIPNSRecord (endpoint: string, name: IPNSName, record: Uint8Array, options: HttpOptions = {}): Promise<number> {
  const url = ipnsUrl(endpoint, name)
  const res = await request(url, { method: 'PUT', headers: { 'content-type': IPNS_RECORD_CONTENT_TYPE }, body: new Uint8Array(record) }, options)
  const text = new TextDecoder().decode((await readBody(res, options).catch(() => new Uint8Array())).subarray(0, 300))
  if (!res.ok) {
    throw new RoutingError(`${url} refused the record: ${res.status} ${res.statusText}${text === '' ? '' : ': ' + text}`)
  }
  return res.status
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
  const res = await request(url.toString(), { method: 'GET', headers: { accept: 'application/dns-json' } }, options)
  const body = await readBody(res, options)
  if (!res.ok) throw new RoutingError(`The DoH endpoint ${url.origin} answered ${res.status} ${res.statusText} for _dnslink.${domain}.`)
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
