/**
 * Client for the IPFS Pinning Service API (v1: `POST/GET <endpoint>/pins`,
 * `GET/POST/DELETE <endpoint>/pins/<requestid>`, bearer token), using only `fetch`, so it runs in
 * the page, a worker and Node.
 *
 * Cairn extension, used only when a service advertises it (the local network's does) and the
 * caller allows it:
 *
 *   GET  <endpoint>/capabilities  → { "carUpload": { "maxBytes": <n> } }
 *   POST <endpoint>/car           body: a CARv1 of at most maxBytes (header with the root, then
 *                                 whole blocks); every block is verified and stored. → { blocks, bytes }
 *
 * Pushing a DAG with this client is `pinToService` (`./pin-remote.ts`): pull mode by default
 * (the service fetches from `origins` over bitswap), CAR upload only when asked for and advertised.
 */
import { AbortError, InvalidInputError, isAbortError } from '../../core/errors.js'
import { MAX_ERROR_BYTES, MAX_JSON_BYTES, readJson, readText } from '../../core/http-body.js'
import { PinningServiceAuthError, PinningServiceError, PinningServiceUnreachableError } from './errors.js'
import type { AbortOptions } from '../../core/options.js'

export type RemotePinState = 'queued' | 'pinning' | 'pinned' | 'failed'

/** A pin as the API describes it. */
export interface RemotePin {
  cid: string
  name?: string | undefined
  /** Multiaddrs of peers that hold the data (`…/p2p/<peer id>`): the service dials them. */
  origins?: string[] | undefined
  meta?: Record<string, string> | undefined
}

/** The API's `PinStatus`. */
export interface RemotePinStatus {
  requestid: string
  status: RemotePinState
  /** ISO 8601 time the request was made. */
  created: string
  pin: RemotePin
  /** Multiaddrs of the service's own peers: connect to them so they can fetch from you. */
  delegates: string[]
  info?: Record<string, string> | undefined
}

export interface RemotePinQuery {
  cid?: string[] | undefined
  name?: string | undefined
  match?: 'exact' | 'iexact' | 'partial' | 'ipartial' | undefined
  /** Default (the API's): pinned only. */
  status?: RemotePinState[] | undefined
  before?: Date | undefined
  after?: Date | undefined
  limit?: number | undefined
  meta?: Record<string, string> | undefined
}

export interface RemotePinList {
  count: number
  results: RemotePinStatus[]
}

export interface PinningServiceCapabilities {
  /** The service takes CAR uploads of at most `maxBytes` each at `<endpoint>/car`. */
  carUpload?: { maxBytes: number } | undefined
}

export interface PinningServiceInit {
  /** The API base URL: requests go to `<endpoint>/pins`. */
  endpoint: string
  /** Sent as `Authorization: Bearer <token>`. */
  token: string
  /** For messages, e.g. the name in Settings. Default: the endpoint's host. */
  name?: string | undefined
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch | undefined
}

interface RequestInit2 extends AbortOptions {
  query?: URLSearchParams | undefined
  json?: unknown
  body?: Uint8Array | undefined
  contentType?: string | undefined
  /** Statuses returned to the caller rather than turned into errors. */
  pass?: number[] | undefined
}

const STATES: readonly RemotePinState[] = ['queued', 'pinning', 'pinned', 'failed']

function asStatus (value: unknown, where: string): RemotePinStatus {
  const v = value as Partial<RemotePinStatus> | null
  if (v === null || typeof v !== 'object' || typeof v.requestid !== 'string' || !STATES.includes(v.status as RemotePinState) ||
    v.pin === undefined || typeof v.pin.cid !== 'string') {
    throw new PinningServiceError(`${where} did not answer with a pin status (requestid, status, pin). Check that the endpoint is an IPFS Pinning Service API.`)
  }
  return {
    requestid: v.requestid,
    status: v.status as RemotePinState,
    created: typeof v.created === 'string' ? v.created : '',
    pin: v.pin,
    delegates: Array.isArray(v.delegates) ? v.delegates.filter((d): d is string => typeof d === 'string') : [],
    ...(v.info !== undefined && typeof v.info === 'object' ? { info: v.info } : {})
  }
}

/** One pinning service. Every method throws the errors of `./errors.ts` with advice. */
export class PinningServiceClient {
  readonly name: string
  readonly endpoint: string
  readonly #base: URL
  readonly #token: string
  readonly #fetch: typeof globalThis.fetch

  constructor (init: PinningServiceInit) {
    let base: URL
    try {
      base = new URL(init.endpoint.endsWith('/') ? init.endpoint : init.endpoint + '/')
    } catch (err) {
      throw new InvalidInputError(`"${init.endpoint}" is not a URL. Write the pinning service's API endpoint in Settings as https://host[/path].`, { cause: err })
    }
    this.#base = base
    this.endpoint = init.endpoint
    this.name = init.name ?? base.host
    this.#token = init.token
    this.#fetch = init.fetch ?? globalThis.fetch.bind(globalThis)
  }

  #where (): string {
    return `The pinning service "${this.name}" (${this.endpoint})`
  }

  async #request (method: string, path: string, init: RequestInit2 = {}): Promise<Response> {
    const url = new URL(path, this.#base)
    if (init.query !== undefined) url.search = init.query.toString()
    const headers: Record<string, string> = { Authorization: `Bearer ${this.#token}`, Accept: 'application/json' }
    let body: BodyInit | null = null
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(init.json)
    } else if (init.body !== undefined) {
      headers['Content-Type'] = init.contentType ?? 'application/octet-stream'
      body = new Blob([init.body as Uint8Array<ArrayBuffer>])
    }
    let res: Response
    try {
      res = await this.#fetch(url, { method, headers, body, signal: init.signal ?? null })
    } catch (err) {
      if (init.signal?.aborted === true || isAbortError(err)) throw new AbortError(`The request to pinning service "${this.name}" was cancelled.`, { cause: err })
      throw new PinningServiceUnreachableError(`Could not reach the pinning service "${this.name}" at ${this.endpoint} (${(err as Error).message}). Check the endpoint in Settings and that the service is running; from a page, the service must also allow this origin (CORS).`, { cause: err })
    }
    if (res.ok || init.pass?.includes(res.status) === true) return res
    const text = await readText(res, { maxBytes: MAX_ERROR_BYTES, signal: init.signal ?? undefined }).catch(() => '')
    let reason: string
    try {
      const parsed = JSON.parse(text) as { error?: { reason?: unknown, details?: unknown } }
      reason = [parsed.error?.reason, parsed.error?.details].filter(p => typeof p === 'string' && p !== '').join(': ')
    } catch {
      reason = text.slice(0, 200).trim()
    }
    const said = reason !== '' ? `: ${reason}` : ''
    if (res.status === 401 || res.status === 403) {
      throw new PinningServiceAuthError(`${this.#where()} refused the access token (HTTP ${res.status}${said}). The token was refused: check it in Settings.`)
    }
    if (res.status === 429) {
      throw new PinningServiceError(`${this.#where()} is rate-limiting requests (HTTP 429${said}). Wait a minute and push again.`, { status: res.status })
    }
    if (res.status === 404 && method === 'POST' && path === 'pins') {
      throw new PinningServiceError(`${this.#where()} has no /pins (HTTP 404). Check the endpoint in Settings: it is the API base URL, without /pins.`, { status: res.status })
    }
    throw new PinningServiceError(`${this.#where()} answered ${method} /${path} with HTTP ${res.status}${said}.`, { status: res.status })
  }

  async #json (res: Response, what: string, signal: AbortSignal | undefined): Promise<unknown> {
    try {
      return await readJson(res, { maxBytes: MAX_JSON_BYTES, signal, what: `${this.#where()}'s answer (${what})` })
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err
      throw new PinningServiceError(`${this.#where()} sent ${what} that is not JSON. Check that the endpoint is an IPFS Pinning Service API.`, { cause: err, status: res.status })
    }
  }

  /** Asks the service to pin (`POST /pins`). */
  async add (pin: RemotePin, options: AbortOptions = {}): Promise<RemotePinStatus> {
    const res = await this.#request('POST', 'pins', { json: pin, signal: options.signal })
    return asStatus(await this.#json(res, 'a pin status', options.signal), this.#where())
  }

  /** The request's current status (`GET /pins/<requestid>`). */
  async get (requestid: string, options: AbortOptions = {}): Promise<RemotePinStatus> {
    const res = await this.#request('GET', `pins/${encodeURIComponent(requestid)}`, { signal: options.signal })
    return asStatus(await this.#json(res, 'a pin status', options.signal), this.#where())
  }

  /** Replaces a pin request with another (`POST /pins/<requestid>`). */
  async replace (requestid: string, pin: RemotePin, options: AbortOptions = {}): Promise<RemotePinStatus> {
    const res = await this.#request('POST', `pins/${encodeURIComponent(requestid)}`, { json: pin, signal: options.signal })
    return asStatus(await this.#json(res, 'a pin status', options.signal), this.#where())
  }

  /** Removes a pin request (`DELETE /pins/<requestid>`). */
  async remove (requestid: string, options: AbortOptions = {}): Promise<void> {
    const res = await this.#request('DELETE', `pins/${encodeURIComponent(requestid)}`, { signal: options.signal })
    await res.body?.cancel()
  }

  /** Lists pin requests (`GET /pins`); the API's default is pinned ones only. */
  async list (query: RemotePinQuery = {}, options: AbortOptions = {}): Promise<RemotePinList> {
    const q = new URLSearchParams()
    if (query.cid !== undefined) q.set('cid', query.cid.join(','))
    if (query.name !== undefined) q.set('name', query.name)
    if (query.match !== undefined) q.set('match', query.match)
    if (query.status !== undefined) q.set('status', query.status.join(','))
    if (query.before !== undefined) q.set('before', query.before.toISOString())
    if (query.after !== undefined) q.set('after', query.after.toISOString())
    if (query.limit !== undefined) q.set('limit', String(query.limit))
    if (query.meta !== undefined) q.set('meta', JSON.stringify(query.meta))
    const res = await this.#request('GET', 'pins', { query: q, signal: options.signal })
    const body = await this.#json(res, 'a pin list', options.signal) as Partial<RemotePinList> | null
    if (body === null || typeof body !== 'object' || !Array.isArray(body.results)) {
      throw new PinningServiceError(`${this.#where()} did not answer GET /pins with { count, results }. Check that the endpoint is an IPFS Pinning Service API.`)
    }
    return { count: typeof body.count === 'number' ? body.count : body.results.length, results: body.results.map(r => asStatus(r, this.#where())) }
  }

  /**
   * What the service offers beyond the standard API. A service without the Cairn extension
   * offers nothing; a refused token still throws `PinningServiceAuthError`.
   */
  async capabilities (options: AbortOptions = {}): Promise<PinningServiceCapabilities> {
    const res = await this.#request('GET', 'capabilities', { signal: options.signal, pass: [400, 404, 405, 501] })
    if (!res.ok) {
      await res.body?.cancel()
      return {}
    }
    const body = await readJson(res, { maxBytes: MAX_JSON_BYTES, signal: options.signal }).catch(() => ({})) as { carUpload?: { maxBytes?: unknown } } | null
    const maxBytes = body?.carUpload?.maxBytes
    return typeof maxBytes === 'number' && maxBytes >= 1024 ? { carUpload: { maxBytes } } : {}
  }

  /** Uploads one self-contained CAR (`POST /car`); see `uploadDag` to send a whole DAG. */
  async uploadCar (car: Uint8Array, options: AbortOptions = {}): Promise<{ blocks: number, bytes: number }> {
    const res = await this.#request('POST', 'car', { body: car, contentType: 'application/vnd.ipld.car', signal: options.signal })
    const body = await readJson(res, { maxBytes: MAX_JSON_BYTES, signal: options.signal }).catch(() => ({})) as { blocks?: unknown, bytes?: unknown }
    return { blocks: typeof body.blocks === 'number' ? body.blocks : 0, bytes: typeof body.bytes === 'number' ? body.bytes : car.byteLength }
  }
}
