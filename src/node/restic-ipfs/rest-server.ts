/**
 * restic's REST protocol (v1 and v2) over any restic `Backend`, on `node:http`: what
 * `restic -r rest:http://host:port/` talks to. Used by `cairn serve restic` over the IPFS backend.
 *
 *   POST   /?create=true          create the repository
 *   HEAD   /config, GET, POST     the config file
 *   GET    /:type/                list (v2: JSON [{name,size}] when asked for
 *                                 `application/vnd.x.restic.rest.v2`; v1: JSON [name])
 *   HEAD   /:type/:name           size in Content-Length
 *   GET    /:type/:name           content; `Range: bytes=a-b` gives 206
 *   POST   /:type/:name           store (body is the file)
 *   DELETE /:type/:name           remove
 *
 * After a write session (a lock removed, or `idleMs` with no request after a write) it calls
 * `onSession` (the IPFS server flushes and republishes there).
 *
 * CORS: a page on another origin may use the server only when its origin is in `corsOrigins`
 * (none by default: any page on the machine could otherwise read and overwrite the repository).
 * For those, preflights are answered, `Authorization` (HTTP Basic from `rest:http://user:pass@…`)
 * is allowed, and `Content-Length`/`Content-Range` are exposed so the page can stat and read
 * ranges. Every other origin's preflight is refused, and its requests get no CORS grant.
 */
import { createServer } from 'node:http'
import { InvalidInputError, isAbortError } from '../../core/errors.js'
import { NotFoundError, RepositoryExistsError } from '../../restic/errors.js'
import { FILE_TYPES } from '../../restic/backend/backend.js'
import type { Backend, FileType, Handle } from '../../restic/backend/backend.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export const REST_V2 = 'application/vnd.x.restic.rest.v2'
const NAME = /^[0-9a-f]{64}$/

export interface RestServerOptions {
  host?: string | undefined
  port?: number | undefined
  /** Called after a write session ends; errors are reported through `onError`. */
  onSession?: (() => Promise<void>) | undefined
  /** A session also ends after this long without requests following a write. @default 5000 */
  idleMs?: number | undefined
  /** Largest accepted upload. @default 256 MiB (restic packs are far smaller) */
  maxUploadBytes?: number | undefined
  onError?: ((err: Error) => void) | undefined
  /**
   * Exact page origins (`http://host:port`) allowed to call the server from a browser (the app's).
   * Default: none. `cairn serve restic --allow-origin` fills it.
   */
  corsOrigins?: readonly string[] | undefined
}

const CORS_METHODS = 'GET, HEAD, POST, DELETE, OPTIONS'
const CORS_HEADERS = 'Authorization, Content-Type, Accept, Range'
const CORS_EXPOSE = 'Content-Length, Content-Range, Content-Type, Accept-Ranges'

/** The value for Access-Control-Allow-Origin, or undefined when the origin is not allowed. */
function allowedOrigin (origin: string | undefined, allow: readonly string[]): string | undefined {
  return origin !== undefined && allow.includes(origin) ? origin : undefined
}

/** Adds CORS headers; answers a preflight and returns true when it was one. */
function cors (req: IncomingMessage, res: ServerResponse, allow: readonly string[]): boolean {
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined
  const allowed = allowedOrigin(origin, allow)
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined
  res.setHeader('Vary', 'Origin')
  if (allowed === undefined) {
    if (preflight) {
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`Pages from ${origin ?? '(no origin)'} may not use this server: start it with --allow-origin ${origin ?? '<the page\'s origin>'} (cairn serve restic) to let that page in.\n`)
      return true
    }
    return false
  }
  res.setHeader('Access-Control-Allow-Origin', allowed)
  if (!preflight) {
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE)
    return false
  }
  res.setHeader('Access-Control-Allow-Methods', CORS_METHODS)
  res.setHeader('Access-Control-Allow-Headers', CORS_HEADERS)
  res.setHeader('Access-Control-Max-Age', '600')
  if (req.headers['access-control-request-private-network'] === 'true') res.setHeader('Access-Control-Allow-Private-Network', 'true')
  res.writeHead(204).end()
  return true
}

export interface RestServer {
  url: string
  server: Server
  /** Ends the pending session (if any) and waits for `onSession` to finish. */
  settle: () => Promise<void>
  close: () => Promise<void>
}

class HttpError extends Error {
  constructor (readonly status: number, message: string) { super(message) }
}

function parseRange (header: string | undefined, size: number): { offset: number, length: number } | undefined {
  if (header === undefined) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null) throw new HttpError(416, `unsupported Range "${header}"`)
  const [, a = '', b = ''] = m
  let start: number
  let end: number
  if (a === '') {
    const n = Number(b)
    start = Math.max(0, size - n)
    end = size - 1
  } else {
    start = Number(a)
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  }
  if (start >= size || end < start) throw new HttpError(416, `Range "${header}" is outside the file (${size} bytes)`)
  return { offset: start, length: end - start + 1 }
}

async function body (req: IncomingMessage, max: number): Promise<Uint8Array> {
  const parts: Buffer[] = []
  let n = 0
  for await (const chunk of req) {
    const b = chunk as Buffer
    n += b.length
    if (n > max) throw new HttpError(413, `upload larger than ${max} bytes`)
    parts.push(b)
  }
  return new Uint8Array(Buffer.concat(parts, n))
}

function route (url: URL): { handle?: Handle, type?: Exclude<FileType, 'config'>, root: boolean } {
  const parts = url.pathname.split('/').filter(p => p !== '')
  if (parts.length === 0) return { root: true }
  const [t, name] = parts
  if (t === 'config' && parts.length === 1) return { handle: { type: 'config', name: '' }, root: false }
  if (t === undefined || !(FILE_TYPES as readonly string[]).includes(t) || t === 'config' || parts.length > 2) throw new HttpError(404, `no such path ${url.pathname}`)
  const type = t as Exclude<FileType, 'config'>
  if (name === undefined) return { type, root: false }
  if (!NAME.test(name)) throw new HttpError(400, `invalid file name "${name}"`)
  return { handle: { type, name }, root: false }
}

/** Starts serving `backend`; resolves once listening. */
export async function startRestServer (backend: Backend, options: RestServerOptions = {}): Promise<RestServer> {
  const idleMs = options.idleMs ?? 5000
  const max = options.maxUploadBytes ?? 256 * 1024 * 1024
  let pending = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> = Promise.resolve()
  let inFlight = 0

  const endSession = (): Promise<void> => {
    if (timer !== undefined) { clearTimeout(timer); timer = undefined }
    if (!pending) return running
    pending = false
    running = running.then(async () => {
      try { await options.onSession?.() } catch (err) { options.onError?.(err as Error) }
    })
    return running
  }
  const touch = (): void => {
    if (timer !== undefined) { clearTimeout(timer); timer = undefined }
    if (pending && inFlight === 0) timer = setTimeout(() => { void endSession() }, idleMs)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    const { handle, type, root } = route(url)
    if (root) {
      if (method === 'POST' && url.searchParams.get('create') === 'true') {
        try {
          await backend.create()
        } catch (err) {
          if (err instanceof RepositoryExistsError) throw new HttpError(403, err.message)
          throw err
        }
        pending = true
        res.writeHead(200).end()
        return
      }
      throw new HttpError(405, `${method} / is not supported`)
    }
    const v2 = (req.headers.accept ?? '').includes(REST_V2)
    if (type !== undefined) {
      if (method !== 'GET') throw new HttpError(405, `${method} on a directory is not supported`)
      const files = await backend.list(type)
      res.writeHead(200, { 'Content-Type': v2 ? REST_V2 : 'application/vnd.x.restic.rest.v1' })
      res.end(JSON.stringify(v2 ? files.map(f => ({ name: f.name, size: f.size })) : files.map(f => f.name)))
      return
    }
    if (handle === undefined) throw new HttpError(404, 'not found')
    switch (method) {
      case 'HEAD': {
        const info = await backend.stat(handle)
        res.writeHead(200, { 'Content-Length': info.size, 'Content-Type': 'application/octet-stream' }).end()
        return
      }
      case 'GET': {
        const info = await backend.stat(handle)
        const range = parseRange(req.headers.range, info.size)
        const bytes = await backend.read(handle, range)
        const headers: Record<string, string | number> = { 'Content-Length': bytes.length, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' }
        if (range !== undefined) headers['Content-Range'] = `bytes ${range.offset}-${range.offset + range.length - 1}/${info.size}`
        res.writeHead(range === undefined ? 200 : 206, headers).end(bytes)
        return
      }
      case 'POST': {
        const data = await body(req, max)
        await backend.write(handle, data)
        pending = true
        res.writeHead(200).end()
        return
      }
      case 'DELETE': {
        await backend.remove(handle)
        pending = true
        res.writeHead(200).end()
        // restic removes its lock last: the session is over.
        if (handle.type === 'locks') void endSession()
        return
      }
      default:
        throw new HttpError(405, `${method} is not supported`)
    }
  }

  const server = createServer((req, res) => {
    if (cors(req, res, options.corsOrigins ?? [])) return
    inFlight++
    if (timer !== undefined) { clearTimeout(timer); timer = undefined }
    handle(req, res).catch((err: unknown) => {
      let status = 500
      if (err instanceof HttpError) status = err.status
      else if (err instanceof NotFoundError) status = 404
      else if (err instanceof InvalidInputError) status = 400
      else if (!isAbortError(err)) options.onError?.(err as Error)
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain' })
      res.end(req.method === 'HEAD' ? undefined : `${(err as Error).message}\n`)
    }).finally(() => {
      inFlight--
      touch()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return {
    url: `http://${host}:${addr.port}/`,
    server,
    settle: async () => { await endSession() },
    close: async () => {
      await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() })
      await endSession()
    }
  }
}
