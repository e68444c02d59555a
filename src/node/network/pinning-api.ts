/**
 * The IPFS Pinning Service API (v1.0.0) on the local network's HTTP server, backed by the peer's
 * real Helia pins (see `pin-jobs.ts`), under `<httpUrl>/pinning`:
 *
 *   POST   /pinning/pins               { cid, name?, origins?, meta? } → 202 PinStatus
 *   GET    /pinning/pins               ?cid=&name=&match=&status=&before=&after=&limit=&meta=
 *   GET    /pinning/pins/:requestid    → PinStatus
 *   POST   /pinning/pins/:requestid    replace → 202 PinStatus (a new requestid)
 *   DELETE /pinning/pins/:requestid    → 202, and the CID is unpinned
 *
 * and the Cairn extension (see src/ipfs/push/pinning-service.ts):
 *
 *   GET    /pinning/capabilities       → { carUpload: { maxBytes } }
 *   POST   /pinning/car                a CARv1 of at most maxBytes: every block verified and stored
 *
 * Every request needs `Authorization: Bearer <token>`; errors are `{ error: { reason, details } }`.
 * CORS comes from the server's hooks (cors.ts): only the app's own origins may call it from a page.
 */
import { timingSafeEqual } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { readCar } from '../../ipfs/car/car.js'
import type { PinJob, PinJobs, PinJobState } from './pin-jobs.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Blockstore } from 'interface-blockstore'

export const PINNING_API_PREFIX = '/pinning'
export const DEFAULT_MAX_CAR_BYTES = 8 * 1024 * 1024

export interface PinningApiInit {
  jobs: PinJobs
  /** The bearer token every request must carry. */
  token: string
  /** The peer's own multiaddrs, returned as `delegates`. */
  delegates: () => string[]
  /** Where uploaded CAR blocks go (the peer's blockstore). */
  blockstore: Pick<Blockstore, 'put'>
  /** Largest CAR upload. Default 8 MiB. */
  maxCarBytes?: number
}

const STATES: readonly PinJobState[] = ['queued', 'pinning', 'pinned', 'failed']
const CAR_TYPE = 'application/vnd.ipld.car'

class ApiError extends Error {
  constructor (readonly status: number, readonly reason: string, details: string) { super(details) }
}

function toStatus (job: PinJob, delegates: string[]): Record<string, unknown> {
  const info: Record<string, string> = { blocks: String(job.blocks), bytes: String(job.bytes) }
  if (job.reason !== undefined) info.reason = job.reason
  return {
    requestid: job.requestid,
    status: job.status,
    created: job.created.toISOString(),
    pin: {
      cid: job.cid.toString(),
      ...(job.name !== undefined ? { name: job.name } : {}),
      ...(job.origins.length > 0 ? { origins: job.origins } : {}),
      ...(Object.keys(job.meta).length > 0 ? { meta: job.meta } : {})
    },
    delegates,
    info
  }
}

function stringMap (value: unknown, what: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw new ApiError(400, 'BAD_REQUEST', `${what} must be an object of strings`)
  const out: Record<string, string> = {}
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length > 1000) throw new ApiError(400, 'BAD_REQUEST', `${what} has more than 1000 keys`)
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length > 255 || v.length > 2048) throw new ApiError(400, 'BAD_REQUEST', `${what} must map keys (up to 255 characters) to strings (up to 2048)`)
    out[k] = v
  }
  return out
}

/** Validates a `Pin` body. */
function parsePin (body: unknown): { cid: CID, name?: string, origins: string[], meta?: Record<string, string> } {
  const b = body as { cid?: unknown, name?: unknown, origins?: unknown, meta?: unknown } | null
  if (b === null || typeof b !== 'object') throw new ApiError(400, 'BAD_REQUEST', 'The body must be a JSON Pin object: { "cid": "…" }')
  if (typeof b.cid !== 'string') throw new ApiError(400, 'BAD_REQUEST', 'The pin has no "cid"')
  let cid: CID
  try {
    cid = CID.parse(b.cid)
  } catch {
    throw new ApiError(400, 'BAD_REQUEST', `"${b.cid.slice(0, 100)}" is not a CID`)
  }
  if (b.name !== undefined && (typeof b.name !== 'string' || b.name.length > 255)) throw new ApiError(400, 'BAD_REQUEST', '"name" must be a string of at most 255 characters')
  const origins: string[] = []
  if (b.origins !== undefined) {
    if (!Array.isArray(b.origins) || b.origins.length > 20) throw new ApiError(400, 'BAD_REQUEST', '"origins" must be an array of at most 20 multiaddrs')
    for (const o of b.origins as unknown[]) {
      try {
        if (typeof o !== 'string') throw new Error('not a string')
        multiaddr(o)
        origins.push(o)
      } catch {
        throw new ApiError(400, 'BAD_REQUEST', `origin ${JSON.stringify(o)} is not a multiaddr`)
      }
    }
  }
  const meta = stringMap(b.meta, '"meta"')
  return { cid, ...(typeof b.name === 'string' ? { name: b.name } : {}), origins, ...(meta !== undefined ? { meta } : {}) }
}

interface ListQuery {
  cid?: string
  name?: string
  match?: string
  status?: string
  before?: string
  after?: string
  limit?: string
  meta?: string
}

function parseDate (value: string | undefined, what: string): Date | undefined {
  if (value === undefined) return undefined
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) throw new ApiError(400, 'BAD_REQUEST', `"${what}" must be an ISO 8601 date`)
  return d
}

/** CIDv0 and CIDv1 of the same DAG name the same pin. */
function sameMultihash (a: CID, b: CID): boolean {
  const x = a.multihash.bytes
  const y = b.multihash.bytes
  return x.byteLength === y.byteLength && x.every((v, i) => v === y[i])
}

function filterJobs (jobs: PinJob[], q: ListQuery): { count: number, results: PinJob[] } {
  const cids = q.cid !== undefined ? q.cid.split(',').filter(c => c !== '') : undefined
  if (cids !== undefined && cids.length > 10) throw new ApiError(400, 'BAD_REQUEST', '"cid" takes at most 10 CIDs')
  const wanted = cids?.map(c => {
    try { return CID.parse(c) } catch { throw new ApiError(400, 'BAD_REQUEST', `"${c}" is not a CID`) }
  })
  const statuses = (q.status ?? 'pinned').split(',').filter(s => s !== '')
  for (const s of statuses) if (!STATES.includes(s as PinJobState)) throw new ApiError(400, 'BAD_REQUEST', `"${s}" is not a status: use queued, pinning, pinned or failed`)
  const match = q.match ?? 'exact'
  if (!['exact', 'iexact', 'partial', 'ipartial'].includes(match)) throw new ApiError(400, 'BAD_REQUEST', '"match" must be exact, iexact, partial or ipartial')
  const before = parseDate(q.before, 'before')
  const after = parseDate(q.after, 'after')
  const limit = q.limit === undefined ? 10 : Number(q.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ApiError(400, 'BAD_REQUEST', '"limit" must be a whole number from 1 to 1000')
  let meta: Record<string, string> | undefined
  if (q.meta !== undefined) {
    try { meta = stringMap(JSON.parse(q.meta), '"meta"') } catch (err) {
      if (err instanceof ApiError) throw err
      throw new ApiError(400, 'BAD_REQUEST', '"meta" must be a JSON object of strings')
    }
  }
  const nameMatches = (name: string | undefined): boolean => {
    if (q.name === undefined) return true
    if (name === undefined) return false
    switch (match) {
      case 'iexact': return name.toLowerCase() === q.name.toLowerCase()
      case 'partial': return name.includes(q.name)
      case 'ipartial': return name.toLowerCase().includes(q.name.toLowerCase())
      default: return name === q.name
    }
  }
  const matching = jobs.filter(j =>
    (wanted === undefined || wanted.some(c => sameMultihash(c, j.cid))) &&
    statuses.includes(j.status) &&
    nameMatches(j.name) &&
    (before === undefined || j.created < before) &&
    (after === undefined || j.created > after) &&
    (meta === undefined || Object.entries(meta).every(([k, v]) => j.meta[k] === v))
  )
  return { count: matching.length, results: matching.slice(0, limit) }
}

function tokenMatches (header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '')
  if (m?.[1] === undefined) return false
  const given = Buffer.from(m[1].trim())
  const expected = Buffer.from(token)
  return given.byteLength === expected.byteLength && timingSafeEqual(given, expected)
}

/** What a 413 says: only a CAR upload is sent in parts; a Pin object is small JSON. */
function tooLargeDetails (request: FastifyRequest, maxCarBytes: number, bodyLimit: number | undefined): string {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type === CAR_TYPE) return `The CAR is larger than ${maxCarBytes} bytes: send it in smaller parts (see GET /pinning/capabilities).`
  return `The request body is larger than ${bodyLimit ?? 'the'} bytes this endpoint takes. A Pin object is small JSON ({ "cid": "…", "name": "…", "origins": […], "meta": {…} }): send less in name, origins or meta.`
}

/** Registers the API under `/pinning` on `app` (before it listens). */
export async function registerPinningApi (app: FastifyInstance, init: PinningApiInit): Promise<void> {
  const maxCarBytes = init.maxCarBytes ?? DEFAULT_MAX_CAR_BYTES
  await app.register(async (api) => {
    api.addContentTypeParser(CAR_TYPE, { parseAs: 'buffer', bodyLimit: maxCarBytes }, (_request, body, done) => { done(null, body) })
    api.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
      if (error instanceof ApiError) return reply.code(error.status).send({ error: { reason: error.reason, details: error.message } })
      const status = error.statusCode ?? 500
      const reason = status === 413 ? 'CONTENT_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR'
      const details = status === 413 ? tooLargeDetails(request, maxCarBytes, api.initialConfig.bodyLimit) : error.message
      return reply.code(status).send({ error: { reason, details } })
    })
    api.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.method === 'OPTIONS') return
      if (!tokenMatches(request.headers.authorization, init.token)) {
        return reply.code(401).header('WWW-Authenticate', 'Bearer').send({ error: { reason: 'UNAUTHORIZED', details: 'Missing or wrong access token: send Authorization: Bearer <token>, with the token from cairn-local.json.' } })
      }
    })
    const status = (job: PinJob): Record<string, unknown> => toStatus(job, init.delegates())
    const jobOr404 = (requestid: string): PinJob => {
      const job = init.jobs.get(requestid)
      if (job === undefined) throw new ApiError(404, 'NOT_FOUND', `No pin request ${requestid}`)
      return job
    }

    api.get('/capabilities', async () => ({ carUpload: { maxBytes: maxCarBytes } }))

    api.post('/car', async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw new ApiError(415, 'BAD_REQUEST', `Send the CAR with Content-Type: ${CAR_TYPE}`)
      const body = new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength)
      // All or nothing: every block is verified before the first is stored (the body is in memory
      // already, at most maxCarBytes), so a rejected CAR leaves no blocks behind.
      const verified: Array<{ cid: CID, bytes: Uint8Array }> = []
      try {
        for await (const block of await readCar([body])) verified.push(block)
      } catch (err) {
        throw new ApiError(400, 'BAD_REQUEST', `The CAR was not accepted, and none of its blocks was stored: ${(err as Error).message}`)
      }
      let bytes = 0
      for (const block of verified) {
        await init.blockstore.put(block.cid, block.bytes)
        bytes += block.bytes.byteLength
      }
      return reply.code(200).send({ blocks: verified.length, bytes })
    })

    api.post('/pins', async (request, reply) => {
      const pin = parsePin(request.body)
      return reply.code(202).send(status(init.jobs.add(pin)))
    })

    api.get<{ Querystring: ListQuery }>('/pins', async (request) => {
      const { count, results } = filterJobs(init.jobs.list(), request.query)
      return { count, results: results.map(status) }
    })

    api.get<{ Params: { requestid: string } }>('/pins/:requestid', async (request) => status(jobOr404(request.params.requestid)))

    api.post<{ Params: { requestid: string } }>('/pins/:requestid', async (request, reply) => {
      jobOr404(request.params.requestid)
      const pin = parsePin(request.body)
      const replacement = init.jobs.add(pin)
      await init.jobs.remove(request.params.requestid)
      return reply.code(202).send(status(replacement))
    })

    api.delete<{ Params: { requestid: string } }>('/pins/:requestid', async (request, reply) => {
      jobOr404(request.params.requestid)
      await init.jobs.remove(request.params.requestid)
      return reply.code(202).send()
    })
  }, { prefix: PINNING_API_PREFIX })
}
