/**
 * A faithful subset of Kubo's RPC API (`/api/v0/…`) on the local network's HTTP server, so tools
 * and clients written for Kubo (kubo-rpc-client, Cairn's `KuboRpcKeeper`) can keep data and IPNS
 * records there:
 *
 *   id, version
 *   dag/import   multipart CAR(s); `pin-roots` (default true). Streamed: each block is checked
 *                against its CID before it is stored. → ndjson {"Root":{"Cid":{"/":…},"PinErrorMsg":""}}
 *   pin/add, pin/rm, pin/ls (`arg`, `type`, `stream`), block/stat, block/get
 *   routing/put  `arg=/ipns/<name>`, the signed record as a multipart file: validated as an IPNS
 *                record for that name and kept by the local router. routing/get reads it back.
 *
 * As in Kubo, only POST is accepted (405 otherwise) and errors are `{"Message","Code","Type":"error"}`
 * (500, or 400 for a bad argument). Unlike a stock Kubo, every request needs
 * `Authorization: Bearer <token>` (403 otherwise, as Kubo's `API.Authorizations`) and browser
 * requests are taken only from the allowed origins. Nothing is fetched from the network: pins and
 * blocks are about what this peer holds.
 */
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromCID, peerIdFromString } from '@libp2p/peer-id'
import { multihashToIPNSRoutingKey } from 'ipns'
import { CID } from 'multiformats/cid'
import { readBlock } from './car.js'
import { DEFAULT_MAX_UPLOAD_BYTES, bearerMatches, isPinnedRoot, pinComplete, storeCar } from './keeper-api.js'
import { MultipartError, multipartBoundary, readMultipart } from './multipart.js'
import type { KeeperApiInit } from './keeper-api.js'
import type { MultipartPart } from './multipart.js'
import type { PeerId } from '@libp2p/interface'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { Readable } from 'node:stream'

export const KUBO_RPC_PREFIX = '/api/v0'

/** go-ipfs-cmds error codes: 0 normal (HTTP 500), 1 client (HTTP 400). */
class RpcError extends Error {
  constructor (message: string, readonly code: 0 | 1 = 0) { super(message) }
}

type Query = Record<string, string | string[] | undefined>

function args (query: Query): string[] {
  const a = query.arg
  return a === undefined ? [] : Array.isArray(a) ? a : [a]
}

function oneArg (query: Query, name: string): string {
  const a = args(query)[0]
  if (a === undefined || a === '') throw new RpcError(`argument "${name}" is required`, 1)
  return a
}

function flag (query: Query, name: string, fallback: boolean): boolean {
  const v = query[name]
  const s = Array.isArray(v) ? v[0] : v
  if (s === undefined || s === '') return fallback
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(s)) return true
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(s)) return false
  throw new RpcError(`invalid value "${s}" for option "${name}": expected a boolean`, 1)
}

/** A CID from `<cid>` or `/ipfs/<cid>` (paths below a CID are not supported). */
function parseCidArg (text: string): CID {
  const t = text.startsWith('/ipfs/') ? text.slice('/ipfs/'.length) : text
  if (t.includes('/')) throw new RpcError(`"${text}": only a CID or /ipfs/<cid> is supported here, not a path inside it`, 1)
  try {
    return CID.parse(t)
  } catch {
    throw new RpcError(`invalid path "${text}": not a CID`, 1)
  }
}

/** The routing key of `/ipns/<name>` (a peer id or a `k51…` CID). */
export function ipnsKey (arg: string): { key: Uint8Array, peerId: PeerId } {
  if (!arg.startsWith('/ipns/')) throw new RpcError(`invalid key "${arg}": this node keeps IPNS records only, give /ipns/<name>`, 1)
  const name = arg.slice('/ipns/'.length)
  let peerId: PeerId
  try {
    peerId = name.startsWith('k') || name.startsWith('b') ? peerIdFromCID(CID.parse(name)) : peerIdFromString(name)
  } catch {
    throw new RpcError(`invalid key "${arg}": "${name}" is not an IPNS name (a k51… key or a peer id)`, 1)
  }
  const key = multihashToIPNSRoutingKey(peerId.toMultihash() as MultihashDigest<0x00 | 0x12>)
  return { key, peerId }
}

async function firstFile (request: FastifyRequest, maxBytes: number): Promise<{ parts: AsyncGenerator<MultipartPart>, first: MultipartPart }> {
  const boundary = multipartBoundary(request.headers['content-type'])
  if (boundary === undefined) throw new RpcError('file argument was nil: send the data as multipart/form-data', 1)
  const parts = readMultipart(request.body as Readable, boundary, { maxBytes })
  const next = await parts.next()
  if (next.done === true) throw new RpcError('file argument was nil: the multipart body has no part', 1)
  return { parts, first: next.value }
}

async function readAll (body: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let n = 0
  for await (const c of body) {
    n += c.byteLength
    if (n > max) throw new RpcError(`the value is larger than ${max} bytes`, 1)
    chunks.push(c)
  }
  return Buffer.concat(chunks)
}

function sendError (reply: FastifyReply, err: RpcError): FastifyReply {
  return reply.code(err.code === 1 ? 400 : 500).header('Content-Type', 'application/json')
    .send({ Message: err.message, Code: err.code, Type: 'error' })
}

function ndjson (reply: FastifyReply, lines: unknown[]): FastifyReply {
  return reply.code(200).header('Content-Type', 'application/json').header('X-Chunked-Output', '1')
    .send(lines.map(l => JSON.stringify(l) + '\n').join(''))
}

/** Registers the subset under `/api/v0` on `app` (before it listens). */
export async function registerKuboRpc (app: FastifyInstance, init: KeeperApiInit): Promise<void> {
  const maxUpload = init.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES
  await app.register(async (api) => {
    // Multipart bodies are streamed by the routes themselves; anything else is ignored (Kubo takes
    // its arguments from the query string).
    api.addContentTypeParser('multipart/form-data', (_request, payload, done) => { done(null, payload) })
    api.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })
    api.setErrorHandler(async (error: Error & { statusCode?: number }, _request, reply) => {
      if (error instanceof RpcError) return sendError(reply, error)
      if (error instanceof MultipartError) return reply.code(error.status).send({ Message: error.message, Code: 1, Type: 'error' })
      if (error.statusCode !== undefined && error.statusCode < 500) return reply.code(error.statusCode).send({ Message: error.message, Code: 1, Type: 'error' })
      return sendError(reply, new RpcError(error.message))
    })
    api.setNotFoundHandler(async (_request, reply) => reply.code(404).type('text/plain; charset=utf-8').send('404 page not found'))
    api.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return
      if (!bearerMatches(request.headers.authorization, init.token)) {
        return reply.code(403).type('text/plain; charset=utf-8')
          .send('Kubo RPC access denied: send Authorization: Bearer <token>, with the token from cairn-local.json (kuboRpc.token).')
      }
      if (request.method !== 'POST') {
        return reply.code(405).type('text/plain; charset=utf-8').send('405 - Method Not Allowed')
      }
    })
    // Aborts work when the client goes away.
    const signalOf = (reply: FastifyReply): AbortSignal => {
      const controller = new AbortController()
      reply.raw.once('close', () => { if (!reply.raw.writableFinished) controller.abort() })
      return controller.signal
    }
    const route = (path: string, handler: (request: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply) => Promise<unknown>): void => {
      api.post<{ Querystring: Query }>(path, handler)
    }

    route('/id', async () => ({
      ID: init.peerId.toString(),
      PublicKey: init.peerId.publicKey !== undefined ? Buffer.from(publicKeyToProtobuf(init.peerId.publicKey)).toString('base64') : '',
      Addresses: init.addresses(),
      AgentVersion: 'cairn-local-network (Kubo RPC subset)',
      Protocols: ['/ipfs/bitswap/1.2.0', '/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/libp2p/circuit/relay/0.2.0/hop']
    }))

    route('/version', async () => ({ Version: '0.0.0-cairn', Commit: '', Repo: '', System: `${process.arch}/${process.platform}`, Golang: '' }))

    route('/dag/import', async (request, reply) => {
      const pinRoots = flag(request.query, 'pin-roots', true)
      const signal = signalOf(reply)
      const { parts, first } = await firstFile(request, maxUpload)
      const roots = new Map<string, CID>()
      let blocks = 0
      let bytes = 0
      let part: MultipartPart | undefined = first
      while (part !== undefined) {
        try {
          const stored = await storeCar(init, part.body, signal)
          for (const r of stored.roots) roots.set(r.toString(), r)
          blocks += stored.blocks
          bytes += stored.bytes
        } catch (err) {
          if (err instanceof MultipartError) throw err
          throw new RpcError(`the CAR was refused, and nothing was pinned: ${(err as Error).message}`)
        }
        const next = await parts.next()
        part = next.done === true ? undefined : next.value
      }
      const lines: unknown[] = []
      if (pinRoots) {
        for (const root of roots.values()) {
          let PinErrorMsg = ''
          try {
            await pinComplete(init, root)
          } catch (err) {
            PinErrorMsg = `pinning root ${root.toString()}: ${(err as Error).message}`
          }
          lines.push({ Root: { Cid: { '/': root.toString() }, PinErrorMsg } })
        }
      }
      if (flag(request.query, 'stats', false)) lines.push({ Stats: { BlockCount: blocks, BlockBytesCount: bytes } })
      return ndjson(reply, lines)
    })

    route('/pin/add', async (request) => {
      const list = args(request.query)
      if (list.length === 0) throw new RpcError('argument "ipfs-path" is required', 1)
      if (!flag(request.query, 'recursive', true)) throw new RpcError('only recursive pins are supported by this node', 1)
      const cids = list.map(parseCidArg)
      for (const cid of cids) {
        try {
          await pinComplete(init, cid, typeof request.query.name === 'string' ? { name: request.query.name } : undefined)
        } catch (err) {
          throw new RpcError(`pin: ${cid.toString()} is not complete on this node (it fetches nothing): ${(err as Error).message}. Import the whole DAG first (dag/import).`)
        }
      }
      return { Pins: cids.map(c => c.toString()) }
    })

    route('/pin/rm', async (request) => {
      const list = args(request.query)
      if (list.length === 0) throw new RpcError('argument "ipfs-path" is required', 1)
      const cids = list.map(parseCidArg)
      for (const cid of cids) if (!await isPinnedRoot(init, cid)) throw new RpcError(`${cid.toString()} is not pinned or pinned indirectly`)
      for (const cid of cids) for await (const _ of init.helia.pins.rm(cid)) { /* unmark */ }
      return { Pins: cids.map(c => c.toString()) }
    })

    route('/pin/ls', async (request, reply) => {
      const type = typeof request.query.type === 'string' ? request.query.type : 'all'
      if (!['all', 'recursive', 'direct', 'indirect'].includes(type)) throw new RpcError(`invalid type '${type}', must be one of {direct, indirect, recursive, all}`, 1)
      const stream = flag(request.query, 'stream', false)
      const found: Array<{ cid: string, type: string, name?: string }> = []
      const typeOf = (depth: number): string => depth === 0 ? 'direct' : 'recursive'
      const list = args(request.query)
      if (list.length > 0) {
        for (const text of list) {
          const cid = parseCidArg(text)
          let entry: { cid: string, type: string } | undefined
          try {
            const p = await init.helia.pins.get(cid)
            entry = { cid: cid.toString(), type: typeOf(p.depth) }
          } catch {
            if (type !== 'recursive' && type !== 'direct' && await init.helia.pins.isPinned(cid)) entry = { cid: cid.toString(), type: 'indirect' }
          }
          if (entry === undefined || (type !== 'all' && entry.type !== type)) throw new RpcError(`path '${text}' is not pinned`)
          found.push(entry)
        }
      } else if (type !== 'indirect') {
        for await (const p of init.helia.pins.ls()) {
          const t = typeOf(p.depth)
          if (type === 'all' || type === t) {
            const name = p.metadata.name
            found.push({ cid: p.cid.toString(), type: t, ...(typeof name === 'string' ? { name } : {}) })
          }
        }
      }
      if (stream) return ndjson(reply, found.map(f => ({ Cid: f.cid, Name: f.name ?? '', Type: f.type })))
      const Keys: Record<string, { Type: string, Name?: string }> = {}
      for (const f of found) Keys[f.cid] = { Type: f.type, ...(f.name !== undefined ? { Name: f.name } : {}) }
      return { Keys }
    })

    const localBlock = async (text: string, signal: AbortSignal): Promise<{ cid: CID, bytes: Uint8Array }> => {
      const cid = parseCidArg(text)
      if (cid.multihash.code !== 0x00 && !await init.blockstore.has(cid)) throw new RpcError(`block was not found locally (offline): ipld: could not find ${cid.toString()}`)
      return { cid, bytes: await readBlock(init.blockstore, cid, signal) }
    }

    route('/block/stat', async (request, reply) => {
      const { cid, bytes } = await localBlock(oneArg(request.query, 'cid'), signalOf(reply))
      return { Key: cid.toString(), Size: bytes.byteLength }
    })

    route('/block/get', async (request, reply) => {
      const { bytes } = await localBlock(oneArg(request.query, 'cid'), signalOf(reply))
      return reply.code(200).header('Content-Type', 'text/plain').header('X-Stream-Output', '1')
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    })

    route('/routing/put', async (request, reply) => {
      const { key } = ipnsKey(oneArg(request.query, 'key'))
      const { parts, first } = await firstFile(request, 64 * 1024)
      const value = await readAll(first.body, 10 * 1024)
      await parts.return(undefined)
      let kept: boolean
      try {
        kept = await init.router.accept(key, value)
      } catch (err) {
        throw new RpcError(`invalid IPNS record for ${oneArg(request.query, 'key')}: ${(err as Error).message}`)
      }
      if (!kept) throw new RpcError("can't replace a newer value with an older value: publish with a higher sequence number")
      return ndjson(reply, [{ Extra: '', ID: init.peerId.toString(), Responses: null, Type: 5 }])
    })

    route('/routing/get', async (request, reply) => {
      const { key } = ipnsKey(oneArg(request.query, 'key'))
      const record = await init.router.find(key)
      if (record === undefined) throw new RpcError('routing: not found')
      return ndjson(reply, [{ Extra: Buffer.from(record).toString('base64'), ID: '', Responses: null, Type: 5 }])
    })
  }, { prefix: KUBO_RPC_PREFIX })
}
