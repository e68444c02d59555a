/**
 * A small static file server for the built app (dist/). It serves the app under `basePath` (so a
 * sub-path deployment can be tested), answers `…/cairn-local.json` with the local network's
 * description, and sends no-cache headers for the HTML and service worker so updates show.
 */
import { createServer } from 'node:http'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
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
      const noCache = ext === '.html' || /(^|\/)sw\.js$/.test(file) || ext === '.webmanifest'
      res.writeHead(200, {
        'content-type': MIME[ext] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': noCache ? 'no-cache' : 'public, max-age=31536000, immutable'
      })
      if (req.method === 'HEAD') { res.end(); return }
      createReadStream(file).pipe(res)
    })().catch(err => {
      res.writeHead(500).end(String(err))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.port ?? 0, init.host ?? '127.0.0.1', () => { resolve() })
  })
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
