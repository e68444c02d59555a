/**
 * `?format=tar` / `Accept: application/x-tar` in the service worker: the UnixFS file or directory
 * at the path as a tar whose top entry is named by its CID, read from the worker's verified block
 * sources. The directory tree is walked first (names only, no file bytes), so a name that would
 * leave the archive's top folder ("..", "/", …) refuses the whole request with a 400 before any
 * byte is sent; then the files are streamed one block at a time.
 */
import { exporter } from 'ipfs-unixfs-exporter'
import { pack } from 'it-tar'
import { CID } from 'multiformats/cid'
import { unsafeNameReason } from '../core/names.js'
import { attachment } from '../ipfs/gateway/index.js'
import { getBlock, parseContentPath } from '../ipfs/fetch/index.js'
import type { BlockSources } from '../ipfs/fetch/index.js'
import type { UnixFSEntry } from 'ipfs-unixfs-exporter'

/** Entries a tar may hold: more is refused rather than held in memory. */
export const MAX_TAR_ENTRIES = 100_000

export interface TarRequest {
  method: 'GET' | 'HEAD'
  headers: Headers
  signal?: AbortSignal | undefined
  gatewayTimeoutMs?: number | undefined
}

function wantsTar (query: URLSearchParams, headers: Headers): boolean {
  const format = query.get('format')
  if (format !== null) return format === 'tar'
  return (headers.get('accept') ?? '').split(',').some(t => t.split(';')[0]?.trim().toLowerCase() === 'application/x-tar')
}

function refuse (status: number, message: string): Response {
  return new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } })
}

interface TarItem { name: string, entry: UnixFSEntry }

/** Answers a tar request for `address`, or undefined when the request is not one. */
export async function serveTar (sources: BlockSources, address: string, request: TarRequest): Promise<Response | undefined> {
  const target = parseContentPath(address)
  const query = new URLSearchParams(target.search)
  if (target.namespace !== 'ipfs' || !wantsTar(query, request.headers)) return undefined
  const offline = sources.gateways.length === 0
  const store = {
    async * get (cid: CID, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
      yield await getBlock(sources, cid, { signal: options.signal ?? request.signal, offline, gatewayTimeoutMs: request.gatewayTimeoutMs })
    }
  }
  const signal = request.signal === undefined ? {} : { signal: request.signal }
  const root = await exporter(`${CID.parse(target.root).toString()}${target.path.replace(/\/+$/, '')}`, store, signal)
  const top = root.cid.toString()
  const items: TarItem[] = [{ name: top, entry: root }]
  const walk = async (dir: UnixFSEntry, prefix: string): Promise<string | undefined> => {
    if (dir.type !== 'directory') return undefined
    for await (const link of dir.entries(signal)) {
      const reason = unsafeNameReason(link.name, { backslash: true })
      if (reason !== undefined) return `${prefix}/${link.name}: ${reason}`
      const child = await exporter(link.cid, store, signal)
      const item = { name: `${prefix}/${link.name}`, entry: child }
      items.push(item)
      if (items.length > MAX_TAR_ENTRIES) return `more than ${MAX_TAR_ENTRIES} entries`
      const refused = await walk(child, item.name)
      if (refused !== undefined) return refused
    }
    return undefined
  }
  const refused = await walk(root, top)
  if (refused !== undefined) return refuse(400, `This DAG cannot be a tar: ${refused}. Download it as a CAR (?format=car) instead.`)
  const headers = new Headers({
    'content-type': 'application/x-tar',
    'content-disposition': attachment(query.get('filename') ?? `${top}.tar`),
    etag: `W/"${top}.x-tar"`,
    'x-ipfs-path': `/ipfs/${target.root}${target.path}`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'public, max-age=29030400, immutable'
  })
  if (request.method === 'HEAD') return new Response(null, { status: 200, headers })
  async function * entries (): AsyncGenerator<{ header: { name: string, type: 'file' | 'directory', size?: number, mode: number, mtime: Date }, body?: AsyncIterable<Uint8Array> }> {
    for (const { name, entry } of items) {
      if (entry.type === 'directory') yield { header: { name, type: 'directory', mode: 0o755, mtime: new Date(0) } }
      else if (entry.type === 'file' || entry.type === 'raw' || entry.type === 'identity') yield { header: { name, type: 'file', size: Number(entry.size), mode: 0o644, mtime: new Date(0) }, body: entry.content(signal) }
    }
  }
  const source = pack()(entries())
  return new Response(new ReadableStream<Uint8Array>({
    async pull (controller) {
      const { done, value } = await source.next()
      if (done === true) controller.close()
      else controller.enqueue(value)
    },
    async cancel () { await source.return(undefined) }
  }), { status: 200, headers })
}
