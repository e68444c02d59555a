/**
 * A faithful subset of the IPFS Cluster REST API on the local network's HTTP server, under
 * `<httpUrl>/cluster` (a one-peer cluster whose IPFS peer is the local network peer):
 *
 *   POST /add?format=car   multipart CAR (one root); like the cluster's CAR adder: every block is
 *                          checked against its CID and stored, then the root is pinned, unless
 *                          `no-pin=true`. `name`, `local` are taken. → ndjson AddedOutput
 *                          {"name","cid","bytes","allocations":[peer]} (a JSON array with
 *                          `stream-channels=false`). CIDs are strings, as in cluster ≥ 1.0.
 *   GET  /pins/<cid>       GlobalPinInfo {"cid","name","allocations","origins","created","metadata",
 *                          "peer_map":{"<peer>":{"peername","ipfs_peer_id","ipfs_peer_addresses",
 *                          "status","timestamp","error","attempt_count","priority_pin"}}}; a CID
 *                          that is not pinned is "unpinned" (200), as the cluster answers.
 *   GET  /id               the peer's ID object.
 *
 * Errors are the cluster's `{"code","message"}`. Every request needs `Authorization: Bearer <token>`
 * (401 otherwise), and browser requests are taken only from the allowed origins. Only
 * `format=car` adds are taken: this peer does not chunk files into UnixFS.
 */
import { CID } from 'multiformats/cid'
import { DEFAULT_MAX_UPLOAD_BYTES, bearerMatches, isPinnedRoot, pinComplete, storeCar } from './keeper-api.js'
import { MultipartError, multipartBoundary, readMultipart } from './multipart.js'
import type { KeeperApiInit } from './keeper-api.js'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Readable } from 'node:stream'

export const CLUSTER_API_PREFIX = '/cluster'
const PEERNAME = 'cairn-local'

class ApiError extends Error {
  constructor (readonly status: number, message: string) { super(message) }
}

type Query = Record<string, string | undefined>

function bool (query: Query, name: string): boolean {
  const v = query[name]
  if (v === undefined || v === '') return false
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(v)) return true
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(v)) return false
  throw new ApiError(400, `parameter ${name} invalid`)
}

function parseCid (text: string): CID {
  try {
    return CID.parse(text)
  } catch {
    throw new ApiError(400, `error decoding Cid: ${text.slice(0, 100)} is not a CID`)
  }
}

/** Registers the subset under `/cluster` on `app` (before it listens). */
export async function registerClusterApi (app: FastifyInstance, init: KeeperApiInit): Promise<void> {
  const maxUpload = init.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES
  const peer = (): string => init.peerId.toString()
  await app.register(async (api) => {
    api.addContentTypeParser('multipart/form-data', (_request, payload, done) => { done(null, payload) })
    api.setErrorHandler(async (error: Error & { statusCode?: number }, _request, reply: FastifyReply) => {
      const status = error instanceof ApiError ? error.status : error instanceof MultipartError ? error.status : error.statusCode ?? 500
      return reply.code(status).send({ code: status, message: error.message })
    })
    api.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ code: 404, message: 'not found' }))
    api.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return
      if (!bearerMatches(request.headers.authorization, init.token)) {
        return reply.code(401).header('WWW-Authenticate', 'Bearer')
          .send({ code: 401, message: 'Unauthorized: send Authorization: Bearer <token>, with the token from cairn-local.json (cluster.token).' })
      }
    })

    const ipfsId = (): Record<string, unknown> => ({ id: peer(), addresses: init.addresses(), error: '' })

    api.get('/id', async () => ({
      id: peer(),
      addresses: init.addresses(),
      cluster_peers: [peer()],
      cluster_peers_addresses: [],
      version: '0.0.0-cairn',
      commit: '',
      rpc_protocol_version: '',
      error: '',
      ipfs: ipfsId(),
      peername: PEERNAME
    }))

    api.post<{ Querystring: Query }>('/add', async (request, reply) => {
      const q = request.query
      if (q.format !== 'car') {
        throw new ApiError(400, `format=${q.format ?? 'unixfs'} is not supported here: this cluster peer takes CARs only (POST /add?format=car)`)
      }
      const noPin = bool(q, 'no-pin')
      bool(q, 'local') // single peer: local and global are the same
      const boundary = multipartBoundary(request.headers['content-type'])
      if (boundary === undefined) throw new ApiError(400, 'send the CAR as multipart/form-data')
      const controller = new AbortController()
      reply.raw.once('close', () => { if (!reply.raw.writableFinished) controller.abort() })
      const out: unknown[] = []
      for await (const part of readMultipart(request.body as Readable, boundary, { maxBytes: maxUpload })) {
        let stored
        try {
          stored = await storeCar(init, part.body, controller.signal)
        } catch (err) {
          if (err instanceof MultipartError) throw err
          throw new ApiError(400, `the CAR was refused, and nothing was pinned: ${(err as Error).message}`)
        }
        const root = stored.roots[0]
        if (root === undefined || stored.roots.length !== 1) throw new ApiError(400, `a CAR added to the cluster must have exactly one root; this one has ${stored.roots.length}`)
        const name = q.name ?? part.filename ?? ''
        if (!noPin) {
          try {
            await pinComplete(init, root, { name, created: new Date().toISOString() })
          } catch (err) {
            throw new ApiError(500, `could not pin ${root.toString()}: ${(err as Error).message}. Add the blocks it needs first (parts with no-pin=true), then the part that pins.`)
          }
        }
        out.push({ name, cid: root.toString(), bytes: stored.bytes, allocations: noPin ? [] : [peer()] })
      }
      if (out.length === 0) throw new ApiError(400, 'the multipart body has no file')
      // stream-channels=false: the whole answer as one JSON array, as the cluster buffers it.
      if (q['stream-channels'] !== undefined && !bool(q, 'stream-channels')) return reply.code(200).send(out)
      return reply.code(200).header('Content-Type', 'application/json').send(out.map(o => JSON.stringify(o) + '\n').join(''))
    })

    api.get<{ Params: { cid: string } }>('/pins/:cid', async (request) => {
      const cid = parseCid(request.params.cid)
      const now = new Date().toISOString()
      let name = ''
      let created = '0001-01-01T00:00:00Z'
      let status = 'unpinned'
      if (await isPinnedRoot(init, cid)) {
        const p = await init.helia.pins.get(cid)
        status = 'pinned'
        if (typeof p.metadata.name === 'string') name = p.metadata.name
        if (typeof p.metadata.created === 'string') created = p.metadata.created
      }
      return {
        cid: cid.toString(),
        name,
        allocations: status === 'pinned' ? [peer()] : [],
        origins: [],
        created,
        metadata: {},
        peer_map: {
          [peer()]: {
            peername: PEERNAME,
            ipfs_peer_id: peer(),
            ipfs_peer_addresses: init.addresses(),
            status,
            timestamp: now,
            error: '',
            attempt_count: 0,
            priority_pin: false
          }
        }
      }
    })
  }, { prefix: CLUSTER_API_PREFIX })
}
