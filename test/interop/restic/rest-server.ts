/**
 * A minimal restic REST protocol v2 server for tests (loopback only), storing files in rest-server's
 * layout. Like rest-server it checks that uploads hash to their name and refuses overwrites.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const V2 = 'application/vnd.x.restic.rest.v2'
const TYPES = ['data', 'keys', 'locks', 'snapshots', 'index']

export interface TestRestServer { url: string, requests: string[], close: () => Promise<void> }

export async function startRestServer (root: string): Promise<TestRestServer> {
  const requests: string[] = []
  const fileOf = (type: string, name: string): string => type === 'data' ? join(root, 'data', name.slice(0, 2), name) : join(root, type, name)
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const method = req.method ?? 'GET'
      requests.push(`${method} ${url.pathname}${url.search}`)
      const body = Buffer.concat(chunks)
      const send = (status: number, data?: Buffer | string, headers: Record<string, string> = {}): void => { res.writeHead(status, headers); res.end(data) }
      if (url.pathname === '/' && method === 'POST' && url.searchParams.get('create') === 'true') {
        for (const t of TYPES) mkdirSync(join(root, t), { recursive: true })
        send(200); return
      }
      if (url.pathname === '/config') {
        const f = join(root, 'config')
        if (method === 'POST') { if (existsSync(f)) { send(403); return } writeFileSync(f, body); send(200); return }
        if (!existsSync(f)) { send(404); return }
        const data = readFileSync(f)
        send(200, method === 'HEAD' ? undefined : data, { 'Content-Length': String(data.length) })
        return
      }
      const m = /^\/(data|index|keys|locks|snapshots)\/([0-9a-f]{64})?$/.exec(url.pathname)
      if (m === null) { send(400, 'bad path'); return }
      const [, type, name] = m as unknown as [string, string, string | undefined]
      if (name === undefined) {
        if (method !== 'GET') { send(405); return }
        const dirs = type === 'data' ? (existsSync(join(root, 'data')) ? readdirSync(join(root, 'data')).map(d => join(root, 'data', d)) : []) : [join(root, type)]
        const list: Array<{ name: string, size: number }> = []
        for (const d of dirs) if (existsSync(d)) for (const n of readdirSync(d)) list.push({ name: n, size: statSync(join(d, n)).size })
        const v2 = req.headers.accept === V2
        send(200, JSON.stringify(v2 ? list : list.map(e => e.name)), { 'Content-Type': v2 ? V2 : 'application/vnd.x.restic.rest.v1' })
        return
      }
      const f = fileOf(type, name)
      switch (method) {
        case 'POST':
          if (createHash('sha256').update(body).digest('hex') !== name) { send(400, 'hash mismatch'); return }
          if (existsSync(f)) { send(403); return }
          mkdirSync(join(f, '..'), { recursive: true })
          writeFileSync(f, body)
          send(200); return
        case 'DELETE':
          if (!existsSync(f)) { send(404); return }
          unlinkSync(f); send(200); return
        case 'HEAD':
        case 'GET': {
          if (!existsSync(f)) { send(404); return }
          const data = readFileSync(f)
          const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
          if (range !== null) {
            const start = Number(range[1])
            const end = range[2] === '' ? data.length - 1 : Math.min(Number(range[2]), data.length - 1)
            const part = data.subarray(start, end + 1)
            send(206, method === 'HEAD' ? undefined : part, { 'Content-Length': String(part.length), 'Content-Range': `bytes ${start}-${end}/${data.length}` })
            return
          }
          send(200, method === 'HEAD' ? undefined : data, { 'Content-Length': String(data.length) })
          return
        }
        default: send(405)
      }
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address() as { port: number }
  return { url: `http://127.0.0.1:${addr.port}/`, requests, close: async () => { await new Promise<void>(resolve => server.close(() => { resolve() })) } }
}
