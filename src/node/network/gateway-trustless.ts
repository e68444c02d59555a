/**
 * The local network peer's trustless gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/):
 *
 * - `GET|HEAD /ipfs/<cid>[/path]` as a raw block (`?format=raw`, `Accept: application/vnd.ipld.raw`;
 *   single byte ranges) or a CARv1 (`?format=car`, `Accept: application/vnd.ipld.car`) with
 *   `dag-scope`, `entity-bytes`, and `order`/`dups` from the Accept parameters or `car-order`/`car-dups`;
 * - `GET|HEAD /ipns/<name>` as the signed record held for the name (`?format=ipns-record`,
 *   `Accept: application/vnd.ipfs.ipns-record`).
 *
 * It answers from local blocks and held records only, never fetches. Measured against
 * ipfs/gateway-conformance by test/conformance/.
 */
import { Readable } from 'node:stream'
import { peerIdFromString } from '@libp2p/peer-id'
import { multihashToIPNSRoutingKey, unmarshalIPNSRecord } from 'ipns'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { GatewayNotFoundError, GatewayRequestError, attachment, carHeaderBytes, carSectionBytes, parseCarRequest, parseRange, readLocalBlock, resolvePath, selectBlocks, wantedFormat } from '../../ipfs/gateway/index.js'
import type { Routing } from '@helia/interface'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Blockstore } from 'interface-blockstore'

export const RAW = 'application/vnd.ipld.raw'
export const CAR = 'application/vnd.ipld.car'
export const IPNS_RECORD = 'application/vnd.ipfs.ipns-record'
const IMMUTABLE = 'public, max-age=29030400, immutable'

export interface TrustlessGatewayInit {
  blockstore: Pick<Blockstore, 'get'>
  /** Whether CARs are served (406 otherwise). Default true. */
  car?: boolean
  /** Held IPNS records, by routing key. Without it, `/ipns/` is 404. */
  records?: Pick<Routing, 'get'>
}

function fail (reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send(message)
}

/** The path segments after `/ipfs/` or `/ipns/`, percent-decoded, and the query. */
function splitUrl (url: string, prefix: string): { segments: string[], query: URLSearchParams } {
  const q = url.indexOf('?')
  const path = (q === -1 ? url : url.slice(0, q)).slice(prefix.length)
  const segments = path.split('/').filter((s, i, all) => !(s === '' && i === all.length - 1)).map(s => {
    try { return decodeURIComponent(s) } catch { throw new GatewayRequestError(`The path segment "${s}" is not valid percent-encoding.`) }
  })
  return { segments, query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)) }
}

function abortOnClose (request: FastifyRequest): AbortSignal {
  const controller = new AbortController()
  request.raw.once('close', () => { controller.abort() })
  return controller.signal
}

async function serveIpfs (init: TrustlessGatewayInit, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { segments, query } = splitUrl(request.url, '/ipfs/')
  const [cidText = '', ...rest] = segments
  let root: CID
  try {
    root = CID.parse(cidText)
  } catch {
    return fail(reply, 400, `"${cidText}" is not a CID. Request /ipfs/<cid>?format=raw or ?format=car.`)
  }
  const format = wantedFormat(query, request.headers.accept)
  if (format === undefined || format === 'ipns-record' || (format === 'car' && init.car === false)) {
    return fail(reply, 406, `This trustless gateway serves raw blocks and CARs only: add ?format=raw (or ?format=car), or send Accept: ${RAW} (or ${CAR}).`)
  }
  const carRequest = format === 'car' ? parseCarRequest(query, request.headers.accept) : undefined
  const signal = abortOnClose(request)
  const resolved = await resolvePath(init.blockstore, root, rest, signal)
  const contentPath = `/ipfs/${[root.toString(), ...rest].map(encodeURIComponent).join('/')}`
  const roots = [...resolved.path, resolved.terminal].map(c => c.toString()).join(',')
  const filename = query.get('filename')
  reply
    .header('X-Content-Type-Options', 'nosniff')
    .header('X-Ipfs-Path', contentPath)
    .header('X-Ipfs-Roots', roots)
    .header('Cache-Control', IMMUTABLE)
    .header('Vary', 'Accept')
  if (carRequest !== undefined) {
    const { scope, entityBytes, dups } = carRequest
    const tag = `${resolved.terminal.toString()}.car.${scope}.${dups ? 'y' : 'n'}${entityBytes === undefined ? '' : `.${entityBytes.from}_${entityBytes.to ?? 'end'}`}`
    reply
      .header('Content-Type', `${CAR}; version=1; order=dfs; dups=${dups ? 'y' : 'n'}`)
      .header('Content-Disposition', attachment(filename ?? `${root.toString()}.car`))
      .header('Accept-Ranges', 'none')
      .header('ETag', `"${tag}"`)
    if (request.method === 'HEAD') return reply.send()
    const blocks = selectBlocks(init.blockstore, resolved, { scope, entityBytes, dups, signal })
    return reply.send(Readable.from((async function * () {
      yield carHeaderBytes(root)
      for await (const block of blocks) yield carSectionBytes(block.cid, block.bytes)
    })()))
  }
  const bytes = await readLocalBlock(init.blockstore, resolved.terminal, signal)
  reply
    .header('Content-Type', RAW)
    .header('Content-Disposition', attachment(filename ?? `${resolved.terminal.toString()}.bin`))
    .header('Accept-Ranges', 'bytes')
    .header('ETag', `"${resolved.terminal.toString()}.raw"`)
  const range = parseRange(request.headers.range, bytes.byteLength)
  if (range === 'unsatisfiable') {
    return fail(reply.header('Content-Range', `bytes */${bytes.byteLength}`), 416, `The range ${request.headers.range ?? ''} is outside the ${bytes.byteLength} bytes of this block.`)
  }
  const body = range === undefined ? bytes : bytes.subarray(range.from, range.to + 1)
  if (range !== undefined) reply.code(206).header('Content-Range', `bytes ${range.from}-${range.to}/${bytes.byteLength}`)
  reply.header('Content-Length', String(body.byteLength))
  return reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
}

/** `k51…`, `bafz…` or a peer id (`12D3…`, `Qm…`) as the name's CID. */
function nameCid (name: string): CID {
  try {
    if (name.startsWith('k')) return CID.parse(name, base36)
    if (name.startsWith('b')) return CID.parse(name)
    return peerIdFromString(name).toCID()
  } catch {
    throw new GatewayRequestError(`"${name}" is not an IPNS name. Request /ipns/<k51… or bafz… name>?format=ipns-record.`)
  }
}

async function serveIpns (init: TrustlessGatewayInit, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { segments, query } = splitUrl(request.url, '/ipns/')
  const [name = ''] = segments
  if (wantedFormat(query, request.headers.accept) !== 'ipns-record') {
    return fail(reply, 406, `This trustless gateway serves IPNS records only under /ipns/: add ?format=ipns-record, or send Accept: ${IPNS_RECORD}.`)
  }
  if (segments.length > 1) return fail(reply, 400, 'An IPNS record is requested without a path: /ipns/<name>?format=ipns-record.')
  const cid = nameCid(name)
  if (init.records === undefined) throw new GatewayNotFoundError(`No IPNS record is held for ${name}.`)
  let bytes: Uint8Array
  try {
    bytes = await init.records.get(multihashToIPNSRoutingKey(cid.multihash as Parameters<typeof multihashToIPNSRoutingKey>[0]), { signal: abortOnClose(request) })
  } catch {
    throw new GatewayNotFoundError(`No IPNS record is held for ${name}. Publish it to this peer first.`)
  }
  // Records are validated when they are put; the TTL only sets how long caches keep the answer.
  const ttlSeconds = Math.max(0, Math.min(Number((unmarshalIPNSRecord(bytes).ttl ?? 0n) / 1_000_000_000n), 86400))
  return reply
    .header('Content-Type', IPNS_RECORD)
    .header('Content-Disposition', attachment(query.get('filename') ?? `${name}.ipns-record`))
    .header('Cache-Control', `public, max-age=${ttlSeconds}`)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Vary', 'Accept')
    .header('Content-Length', String(bytes.byteLength))
    .send(request.method === 'HEAD' ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
}

async function answer (reply: FastifyReply, run: () => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof GatewayNotFoundError) return fail(reply, 404, err.message)
    if (err instanceof GatewayRequestError) return fail(reply, 400, err.message)
    throw err
  }
}

/** The CORS headers of every gateway answer: open to any origin, as public gateways are. */
const GATEWAY_CORS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Range, User-Agent, X-Requested-With',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, X-Ipfs-Path, X-Ipfs-Roots, X-Chunked-Output, X-Stream-Output'
}

function isGatewayPath (url: string): boolean {
  return url.startsWith('/ipfs/') || url.startsWith('/ipns/')
}

/**
 * Registers `/ipfs/*` and `/ipns/*` (GET, HEAD through fastify's HEAD routes, OPTIONS). Call it
 * after registerCors: its onSend hook runs after that one and gives gateway answers their CORS headers.
 */
export function registerTrustlessGateway (app: FastifyInstance, init: TrustlessGatewayInit): void {
  app.get('/ipfs/*', async (request, reply) => await answer(reply, async () => await serveIpfs(init, request, reply)))
  app.get('/ipns/*', async (request, reply) => await answer(reply, async () => await serveIpns(init, request, reply)))
  app.options('/ipfs/*', async (_request, reply) => await reply.code(200).send())
  app.options('/ipns/*', async (_request, reply) => await reply.code(200).send())
  app.addHook('onSend', async (request, reply, payload) => {
    if (isGatewayPath(request.url)) {
      for (const [name, value] of Object.entries(GATEWAY_CORS)) void reply.header(name, value)
    }
    return payload
  })
}
