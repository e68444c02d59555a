/**
 * A small static file server for the built app (dist/). It serves the app under `basePath` (so a
 * sub-path deployment can be tested) and answers `…/cairn-local.json` with the local network's
 * description.
 *
 * - Text files (scripts, styles, HTML, JSON, SVG, WebAssembly) are sent brotli- or gzip-compressed
 *   when the client accepts it (`Accept-Encoding`, `Vary: Accept-Encoding`); each file is
 *   compressed once (at start, in the background) and kept in memory.
 * - Hashed build assets (`assets/<name>-<hash>.js`) are cached for a year, `immutable`; the HTML,
 *   the service worker, the manifest and icons are `no-cache` (revalidated by ETag, answered 304
 *   when unchanged), so a deploy shows on the next load.
 */
import { createServer } from 'node:http'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { extname, join, normalize, relative, resolve, sep } from 'node:path'
import { cacheControlFor, createCompressedCache, isCompressible, negotiateEncoding } from './encoding.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.car': 'application/vnd.ipld.car'
}

export interface StaticServerInit {
  root: string
  host?: string
  port?: number
  /** URL path the app is mounted at, e.g. `/` or `/some/sub/path/`. */
  basePath?: string
  /** Returned for any request ending in `/cairn-local.json` under the base path. */
  localInfo?: unknown
}

export interface StaticServer {
  url: string
  server: Server
  close: () => Promise<void>
}

export async function startStaticServer (init: StaticServerInit): Promise<StaticServer> {
  const root = resolve(init.root)
  const base = ('/' + (init.basePath ?? '/').replace(/^\/+|\/+$/g, '') + '/').replace('//', '/')
  const compressed = createCompressedCache()
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (!url.pathname.startsWith(base)) {
        res.writeHead(url.pathname === base.slice(0, -1) ? 301 : 404, url.pathname === base.slice(0, -1) ? { location: base } : { 'content-type': 'text/plain' })
        res.end(url.pathname === base.slice(0, -1) ? '' : 'Not found')
        return
      }
      let rel: string
      try {
        rel = decodeURIComponent(url.pathname.slice(base.length))
      } catch {
        // A broken %-escape (`/%E0%A4%A`) is the client's mistake, not the server's.
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
        res.end('Bad request: the path has an invalid %-escape. Check the link.')
        return
      }
      if (rel === 'cairn-local.json' && init.localInfo !== undefined) {
        res.writeHead(200, { 'content-type': MIME['.json']!, 'cache-control': 'no-store' })
        res.end(JSON.stringify(init.localInfo))
        return
      }
      let file = normalize(join(root, rel === '' ? 'index.html' : rel))
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end('Forbidden')
        return
      }
      let info = await stat(file).catch(() => undefined)
      if (info?.isDirectory() === true) {
        file = join(file, 'index.html')
        info = await stat(file).catch(() => undefined)
      }
      if (info === undefined || !info.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found')
        return
      }
      const ext = extname(file)
      const relPath = relative(root, file).split(sep).join('/')
      const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`
      const compressible = isCompressible(ext, info.size)
      const headers: Record<string, string | number> = {
        'content-type': MIME[ext] ?? 'application/octet-stream',
        'cache-control': cacheControlFor(relPath),
        etag,
        ...(compressible ? { vary: 'Accept-Encoding' } : {})
      }
      if (ifNoneMatch(req.headers['if-none-match'], etag)) {
        res.writeHead(304, headers).end()
        return
      }
      const encoding = compressible ? negotiateEncoding(req.headers['accept-encoding']) : 'identity'
      if (encoding === 'identity') {
        res.writeHead(200, { ...headers, 'content-length': info.size })
        if (req.method === 'HEAD') { res.end(); return }
        createReadStream(file).pipe(res)
        return
      }
      const body = await compressed.get(file, info.size, info.mtimeMs, encoding)
      res.writeHead(200, { ...headers, 'content-encoding': encoding, 'content-length': body.byteLength })
      res.end(req.method === 'HEAD' ? undefined : body)
    })().catch(err => {
      res.writeHead(500).end(String(err))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.port ?? 0, init.host ?? '127.0.0.1', () => { resolve() })
  })
  // Compress the app's files now, so the first visit does not wait for it.
  void precompress(root, compressed)
  const addr = server.address() as AddressInfo
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address
  return {
    url: `http://${host}:${addr.port}${base}`,
    server,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}

/** `If-None-Match` holds this ETag (weak comparison, as RFC 9110 asks for GET), or is `*`. */
function ifNoneMatch (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const tag = etag.replace(/^W\//, '')
  return header.split(',').some(t => { const v = t.trim(); return v === '*' || v.replace(/^W\//, '') === tag })
}

/** Fill the compressed cache for every compressible file under `root` (best effort). */
async function precompress (root: string, cache: ReturnType<typeof createCompressedCache>): Promise<void> {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true })
    for (const entry of entries) {
      if (!entry.isFile()) continue
      const file = join(entry.parentPath, entry.name)
      const info = await stat(file)
      if (!isCompressible(extname(file), info.size)) continue
      await Promise.all([cache.get(file, info.size, info.mtimeMs, 'br'), cache.get(file, info.size, info.mtimeMs, 'gzip')])
    }
  } catch {
    // A file that vanished or cannot be read is compressed (or refused) when it is asked for.
  }
}
