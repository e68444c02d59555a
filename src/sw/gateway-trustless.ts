/**
 * The service worker's answers to trustless requests under `./ipfs/<cid>[/path]`: a raw block
 * (`?format=raw`, `Accept: application/vnd.ipld.raw`) or a CAR (`?format=car`,
 * `Accept: application/vnd.ipld.car`, with `dag-scope`, `entity-bytes`, `order`/`dups`), built by the
 * same code as the local network peer's gateway (src/ipfs/gateway/) over the worker's verified
 * block sources (local blocks, then the gateways; every block hashed against its CID).
 */
import { CID } from 'multiformats/cid'
import { GatewayNotFoundError, GatewayRequestError, attachment, carHeaderBytes, carSectionBytes, parseCarRequest, parseRange, readLocalBlock, resolvePath, selectBlocks, wantedFormat } from '../ipfs/gateway/index.js'
import { getBlock, parseContentPath } from '../ipfs/fetch/index.js'
import type { BlockSources } from '../ipfs/fetch/index.js'
import type { GatewayFormat } from '../ipfs/gateway/index.js'

const RAW = 'application/vnd.ipld.raw'
const CAR = 'application/vnd.ipld.car'
const IMMUTABLE = 'public, max-age=29030400, immutable'

export interface TrustlessRequest {
  method: 'GET' | 'HEAD'
  headers: Headers
  signal?: AbortSignal | undefined
  gatewayTimeoutMs?: number | undefined
}

/** `raw` or `car` when the request asks for one of them (a `?format=` other than these is left to the path gateway). */
function trustlessFormat (query: URLSearchParams, accept: string | null): 'raw' | 'car' | undefined {
  let format: GatewayFormat | undefined
  try {
    format = wantedFormat(query, accept ?? undefined)
  } catch {
    return undefined
  }
  return format === 'raw' || format === 'car' ? format : undefined
}

function text (status: number, message: string): Response {
  return new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } })
}

function stream (source: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull (controller) {
      const { done, value } = await source.next()
      if (done === true) controller.close()
      else controller.enqueue(value)
    },
    async cancel () {
      await source.return(undefined)
    }
  })
}

/**
 * Answers `address` (`/ipfs/<cid>[/path][?query]`) when it is a trustless request; undefined
 * otherwise. Errors of retrieval (offline, tampered, …) are thrown for the caller's error page.
 */
export async function serveTrustless (sources: BlockSources, address: string, request: TrustlessRequest): Promise<Response | undefined> {
  const target = parseContentPath(address)
  if (target.namespace !== 'ipfs') return undefined
  const query = new URLSearchParams(target.search)
  const format = trustlessFormat(query, request.headers.get('accept'))
  if (format === undefined) return undefined
  const signal = request.signal
  const offline = sources.gateways.length === 0
  const store = {
    async * get (cid: CID, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
      yield await getBlock(sources, cid, { signal: options.signal ?? signal, offline, gatewayTimeoutMs: request.gatewayTimeoutMs })
    }
  }
  const root = CID.parse(target.root)
  const segments = target.path.split('/').filter((s, i, all) => !(s === '' && (i === 0 || i === all.length - 1))).map(s => decodeURIComponent(s))
  try {
    const carRequest = format === 'car' ? parseCarRequest(query, request.headers.get('accept') ?? undefined) : undefined
    const resolved = await resolvePath(store, root, segments, signal)
    const headers = new Headers({
      'x-content-type-options': 'nosniff',
      'x-ipfs-path': `/ipfs/${target.root}${target.path}`,
      'x-ipfs-roots': [...resolved.path, resolved.terminal].map(c => c.toString()).join(','),
      'cache-control': IMMUTABLE,
      vary: 'Accept'
    })
    const filename = query.get('filename')
    if (carRequest !== undefined) {
      const { scope, entityBytes, dups } = carRequest
      headers.set('content-type', `${CAR}; version=1; order=dfs; dups=${dups ? 'y' : 'n'}`)
      headers.set('content-disposition', attachment(filename ?? `${target.root}.car`))
      headers.set('accept-ranges', 'none')
      headers.set('etag', `"${resolved.terminal.toString()}.car.${scope}.${dups ? 'y' : 'n'}${entityBytes === undefined ? '' : `.${entityBytes.from}_${entityBytes.to ?? 'end'}`}"`)
      if (request.method === 'HEAD') return new Response(null, { status: 200, headers })
      const blocks = selectBlocks(store, resolved, { scope, entityBytes, dups, ...(signal === undefined ? {} : { signal }) })
      return new Response(stream((async function * () {
        yield carHeaderBytes(root)
        for await (const block of blocks) yield carSectionBytes(block.cid, block.bytes)
      })()), { status: 200, headers })
    }
    const bytes = await readLocalBlock(store, resolved.terminal, signal)
    headers.set('content-type', RAW)
    headers.set('content-disposition', attachment(filename ?? `${resolved.terminal.toString()}.bin`))
    headers.set('accept-ranges', 'bytes')
    headers.set('etag', `"${resolved.terminal.toString()}.raw"`)
    const range = parseRange(request.headers.get('range') ?? undefined, bytes.byteLength)
    if (range === 'unsatisfiable') {
      headers.set('content-range', `bytes */${bytes.byteLength}`)
      return new Response(null, { status: 416, headers })
    }
    const body = range === undefined ? bytes : bytes.subarray(range.from, range.to + 1)
    if (range !== undefined) headers.set('content-range', `bytes ${range.from}-${range.to}/${bytes.byteLength}`)
    headers.set('content-length', String(body.byteLength))
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: range === undefined ? 200 : 206, headers })
  } catch (err) {
    if (err instanceof GatewayNotFoundError) return text(404, err.message)
    if (err instanceof GatewayRequestError) return text(400, err.message)
    throw err
  }
}
