/**
 * CORS for the local network's HTTP server. Two kinds of path:
 *
 * - public (the trustless gateway, Delegated Routing V1): `Access-Control-Allow-Origin: *`, like
 *   real gateways and routers. Anyone may read blocks and IPNS records, and PUT a signed record.
 * - private (`/cairn-local.json`, which holds the pinning token, and the Pinning Service API under
 *   `/pinning`, which uses it): only origins on the allow-list (the app's own, from `cairn start`
 *   and `cairn dev`, or `cairn network --allow-origin`) get CORS headers. A browser request from
 *   any other origin is refused with 403 (preflight or not). Requests without `Origin` (the CLI,
 *   curl) are not from a page and pass to the token check.
 *
 * `Access-Control-Allow-Private-Network` (a public page reaching this loopback server) is granted
 * only to allowed origins, on any path.
 */
import { InvalidOriginError } from './errors.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

const ALLOWED_METHODS = 'GET, HEAD, PUT, POST, DELETE, OPTIONS'
const EXPOSED = 'Content-Length, Content-Type, ETag, X-Ipfs-Path, X-Ipfs-Roots'

/** `http(s)://host[:port]` exactly as browsers send it in `Origin`. */
export function normalizeOrigin (text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidOriginError(`"${text}" is not an origin: write it as http://host:port (the address the app is opened at, without a path).`)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin === 'null') {
    throw new InvalidOriginError(`"${text}" is not an http(s) origin: write it as http://host:port.`)
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new InvalidOriginError(`"${text}" has more than an origin: give only scheme, host and port (${url.origin}).`)
  }
  return url.origin
}

/**
 * The origins a page served at `url` can have: its own, and for a loopback server the same port
 * under the other loopback name (`127.0.0.1` and `localhost` reach the same server).
 */
export function appOrigins (url: string): string[] {
  const u = new URL(url)
  const out = [u.origin]
  if (u.hostname === '127.0.0.1' || u.hostname === 'localhost') {
    for (const host of ['127.0.0.1', 'localhost']) {
      const alias = new URL(u.origin)
      alias.hostname = host
      if (!out.includes(alias.origin)) out.push(alias.origin)
    }
  }
  return out
}

/** The origins whose pages may read the pinning token and use the pinning API. */
export class OriginAllowList {
  readonly #origins = new Set<string>()
  constructor (origins: Iterable<string> = []) {
    for (const o of origins) this.add(o)
  }

  /** Adds an origin (validated and normalised); returns it. */
  add (origin: string): string {
    const o = normalizeOrigin(origin)
    this.#origins.add(o)
    return o
  }

  has (origin: string): boolean { return this.#origins.has(origin) }
  list (): string[] { return [...this.#origins] }
}

function originOf (request: FastifyRequest): string | undefined {
  const o = request.headers.origin
  return typeof o === 'string' && o !== '' ? o : undefined
}

function refuse (reply: FastifyReply, origin: string): FastifyReply {
  return reply.code(403).header('Vary', 'Origin').type('text/plain; charset=utf-8')
    .send(`Pages from ${origin} may not use the local network's pinning service or read its token. Open the app from the server that started the network, or start the network with --allow-origin ${origin}.`)
}

/**
 * Registers the hooks. `isPrivate(path)` tells the private paths. Must be called before any
 * other plugin: its `onRequest` answers preflights first, and its `onSend` has the last word on
 * the CORS headers of every response (other plugins may set their own).
 */
export function registerCors (app: FastifyInstance, allow: OriginAllowList, isPrivate: (path: string) => boolean): void {
  app.addHook('onRequest', async (request, reply) => {
    const origin = originOf(request)
    const path = request.url.split('?')[0] ?? ''
    const allowed = origin !== undefined && allow.has(origin)
    const priv = isPrivate(path)
    if (origin !== undefined && !allowed && priv) return refuse(reply, origin)
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      const requested = request.headers['access-control-request-headers']
      void reply
        .header('Access-Control-Allow-Origin', priv && allowed ? origin : '*')
        .header('Access-Control-Allow-Methods', ALLOWED_METHODS)
        .header('Access-Control-Allow-Headers', typeof requested === 'string' && requested !== '' ? requested : 'Content-Type, Accept')
        .header('Access-Control-Max-Age', '600')
        .header('Vary', 'Origin, Access-Control-Request-Headers')
      if (allowed && request.headers['access-control-request-private-network'] === 'true') {
        void reply.header('Access-Control-Allow-Private-Network', 'true')
      }
      return reply.code(204).send()
    }
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const origin = originOf(request)
    const path = request.url.split('?')[0] ?? ''
    if (isPrivate(path)) {
      if (origin !== undefined && allow.has(origin)) void reply.header('Access-Control-Allow-Origin', origin)
      else reply.removeHeader('Access-Control-Allow-Origin')
      if (reply.getHeader('Vary') === undefined) void reply.header('Vary', 'Origin')
    } else if (reply.getHeader('Access-Control-Allow-Origin') === undefined) {
      void reply.header('Access-Control-Allow-Origin', '*')
    }
    if (reply.getHeader('Access-Control-Allow-Origin') !== undefined && request.method !== 'OPTIONS') {
      void reply.header('Access-Control-Expose-Headers', EXPOSED)
    }
    return payload
  })
}
