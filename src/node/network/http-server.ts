/**
 * The local network's HTTP server (fastify): the Routing V1 API from
 * `@helia/delegated-routing-v1-http-api-server`, a trustless gateway for raw blocks, and
 * `/cairn-local.json` so a page in the "local" profile can find everything else.
 *
 * CORS (cors.ts): the gateway and routing answer any origin; `/cairn-local.json` (it holds the
 * pinning token) and the pinning API answer only the origins in `allowedOrigins`.
 */
import { Readable } from 'node:stream'
import { createDelegatedRoutingV1HttpApiServer } from '@helia/delegated-routing-v1-http-api-server'
import { NotFoundError } from '@libp2p/interface'
import { peerIdFromCID } from '@libp2p/peer-id'
import fastify from 'fastify'
import { CID } from 'multiformats/cid'
import { readBlock } from './car.js'
import { OriginAllowList, registerCors } from './cors.js'
import { PINNING_API_PREFIX, registerPinningApi } from './pinning-api.js'
import { CLUSTER_API_PREFIX, registerClusterApi } from './cluster-api.js'
import { KUBO_RPC_PREFIX, registerKuboRpc } from './kubo-rpc.js'
import type { KeeperApiInit } from './keeper-api.js'
import type { PinningApiInit } from './pinning-api.js'
import type { Routing } from '@helia/interface'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Blockstore } from 'interface-blockstore'

/** What `GET /cairn-local.json` returns. */
export interface LocalNetworkInfo {
  peerId: string
  relayAddrs: string[]
  routingUrl: string
  gatewayUrl: string
  /**
   * The IPFS Pinning Service API on this server (`<httpUrl>/pinning`), and its bearer token. Only
   * the app's own origins (and clients that send no Origin, such as the CLI) can read this file.
   */
  pinningService: { endpoint: string, token: string }
  /** The Kubo RPC subset (`<endpoint>/api/v0/…`) and the IPFS Cluster subset (`<endpoint>/…`), same token. */
  kuboRpc?: { endpoint: string, token: string }
  cluster?: { endpoint: string, token: string }
}

export interface LocalHttpServerInit {
  /** Helia 7 routing (ids are CIDs). */
  routing: Routing
  /**
   * Where IPNS records PUT to this server are kept and read back. Reading them straight from here
   * answers an unknown name at once; going through Helia's routing also asks libp2p, which with
   * no peer connected waits for the client's timeout. Default: `routing`.
   */
  records?: Pick<Routing, 'get' | 'put'>
  /** The peer's own blockstore: the gateway serves only what is held locally, never fetches. */
  blockstore: Pick<Blockstore, 'has' | 'get'>
  /** Filled in once the server listens (it needs its own URL). */
  info: () => LocalNetworkInfo
  /**
   * Called before a provider lookup for a block this peer does not hold: tries to pull it from
   * connected peers (bounded by its own timeout), so that a block one tab holds can be found by
   * another. Optional.
   */
  pull?: (cid: CID) => Promise<void>
  /** Streams a CAR of the DAG under `cid`, from local blocks only. Without it, `format=car` is 406. */
  exportCar?: (cid: CID, options: { signal: AbortSignal }) => AsyncIterable<Uint8Array>
  /** The Pinning Service API under `/pinning`. Without it, there is none. */
  pinning?: PinningApiInit
  /** The Kubo RPC subset under `/api/v0` and the IPFS Cluster subset under `/cluster`. */
  keeperApis?: KeeperApiInit
  /**
   * Page origins that may read `/cairn-local.json` and use the pinning API from a browser (the
   * app's own). Others are refused. Default: none.
   */
  allowedOrigins?: OriginAllowList
}

const RAW = 'application/vnd.ipld.raw'
const CAR = 'application/vnd.ipld.car'

/**
 * `@helia/delegated-routing-v1-http-api-server` 5.x was written against `@helia/interface` 6,
 * where peers and providers carry a `PeerId` (`id.toString()` → `12D3Koo…`). Helia 7 uses CIDs.
 * This adapter gives the server the shape it expects, over Helia 7's routing.
 */
function routingForServer ({ routing, records = routing, blockstore, pull }: Pick<LocalHttpServerInit, 'routing' | 'records' | 'blockstore' | 'pull'>): object {
  const toPeerInfo = (p: { id: CID, multiaddrs: PeerInfo['multiaddrs'] }): { id: PeerId, multiaddrs: PeerInfo['multiaddrs'] } =>
    ({ id: peerIdFromCID(p.id), multiaddrs: p.multiaddrs })
  return {
    async * findProviders (cid: CID, options: { signal: AbortSignal }) {
      if (pull !== undefined && !(await blockstore.has(cid, options))) await pull(cid)
      for await (const prov of routing.findProviders(cid, options)) yield toPeerInfo(prov)
    },
    async findPeer (peerId: PeerId, options: { signal?: AbortSignal }) {
      return toPeerInfo(await routing.findPeer(peerId.toCID(), options))
    },
    async * getClosestPeers (key: Uint8Array, options: { signal?: AbortSignal }) {
      for await (const peer of routing.getClosestPeers(key, options)) yield toPeerInfo(peer)
    },
    async put (key: Uint8Array, value: Uint8Array, options: { signal?: AbortSignal }) {
      await records.put(key, value, options)
    },
    async get (key: Uint8Array, options: { signal?: AbortSignal }) {
      try {
        return await records.get(key, options)
      } catch (err) {
        // Helia wraps every router's failure; for the server "no router had it" is a plain not-found.
        throw new NotFoundError(`No IPNS record found: ${(err as Error).message}`)
      }
    }
  }
}

/** IPNS PUT failures are the client's fault (bad record); report them as 400 with the reason. */
function addErrorHandler (app: FastifyInstance): void {
  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    let status = error.statusCode ?? 500
    if (request.method === 'PUT' && request.routeOptions.url === '/routing/v1/ipns/:name' && error.statusCode === undefined) {
      // A valid record that loses to the one held: 409, as libp2p refuses it too.
      if (error.name === 'RecordRefusedError') return reply.code(409).type('text/plain; charset=utf-8').send(`Record refused: ${error.message}`)
      status = 400
    }
    const message = status === 400 && request.method === 'PUT'
      ? `Invalid IPNS record: ${error.message}`
      : error.message
    return reply.code(status).type('text/plain; charset=utf-8').send(message)
  })
}

/** `raw` or `car` from `?format=` or the Accept header; undefined when neither was asked for. */
function wantedFormat (request: FastifyRequest<{ Querystring: { format?: string } }>): 'raw' | 'car' | undefined {
  const format = request.query.format
  if (format === 'raw' || format === 'car') return format
  const types = (request.headers.accept ?? '').split(',').map(part => part.trim().split(';')[0]?.trim())
  if (types.includes(RAW)) return 'raw'
  if (types.includes(CAR)) return 'car'
  return undefined
}

function addGateway (app: FastifyInstance, { blockstore, exportCar }: Pick<LocalHttpServerInit, 'blockstore' | 'exportCar'>): void {
  app.get<{ Params: { '*': string }, Querystring: { format?: string } }>('/ipfs/*', async (request, reply: FastifyReply) => {
    const path = request.params['*']
    const [cidText, ...rest] = path.split('/')
    let cid: CID
    try {
      cid = CID.parse(cidText ?? '')
    } catch {
      return reply.code(400).type('text/plain; charset=utf-8').send(`"${cidText ?? ''}" is not a CID. Request /ipfs/<cid>?format=raw.`)
    }
    if (rest.some(s => s !== '')) {
      return reply.code(400).type('text/plain; charset=utf-8').send('This gateway serves raw blocks only: request /ipfs/<cid>?format=raw without a path.')
    }
    const format = wantedFormat(request)
    if (format === undefined || (format === 'car' && exportCar === undefined)) {
      return reply.code(406).type('text/plain; charset=utf-8').send(`This trustless gateway serves raw blocks and CARs only: add ?format=raw (or ?format=car), or send Accept: ${RAW}.`)
    }
    const controller = new AbortController()
    request.raw.once('close', () => { controller.abort() })
    if (!(await blockstore.has(cid, { signal: controller.signal }))) {
      return reply.code(404).type('text/plain; charset=utf-8').send(`Block ${cid.toString()} is not held by the local network peer.`)
    }
    if (format === 'car' && exportCar !== undefined) {
      return reply
        .header('Content-Type', `${CAR}; version=1`)
        .header('Cache-Control', 'public, max-age=29030400, immutable')
        .header('ETag', `"${cid.toString()}.car"`)
        .header('X-Content-Type-Options', 'nosniff')
        .header('X-Ipfs-Path', `/ipfs/${cid.toString()}`)
        .header('X-Ipfs-Roots', cid.toString())
        .send(Readable.from(exportCar(cid, { signal: controller.signal })))
    }
    const bytes = await readBlock(blockstore, cid, controller.signal)
    return reply
      .header('Content-Type', RAW)
      .header('Content-Length', String(bytes.byteLength))
      .header('Cache-Control', 'public, max-age=29030400, immutable')
      .header('ETag', `"${cid.toString()}.raw"`)
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Ipfs-Path', `/ipfs/${cid.toString()}`)
      .header('X-Ipfs-Roots', cid.toString())
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  })
}

/** Paths that reveal or use the pinning token. */
function isPrivatePath (path: string): boolean {
  return path === '/cairn-local.json' || [PINNING_API_PREFIX, KUBO_RPC_PREFIX, CLUSTER_API_PREFIX].some(p => path === p || path.startsWith(`${p}/`))
}

/** Builds the app and listens on `host:port`. The caller owns `close()`. */
export async function startHttpServer (init: LocalHttpServerInit, listen: { host: string, port: number }): Promise<FastifyInstance> {
  const app = fastify({ logger: false, forceCloseConnections: true })
  registerCors(app, init.allowedOrigins ?? new OriginAllowList(), isPrivatePath)
  addErrorHandler(app)
  app.get('/cairn-local.json', async (_request, reply) => {
    return reply.header('Cache-Control', 'no-store').send(init.info())
  })
  addGateway(app, init)
  if (init.pinning !== undefined) await registerPinningApi(app, init.pinning)
  if (init.keeperApis !== undefined) {
    await registerKuboRpc(app, init.keeperApis)
    await registerClusterApi(app, init.keeperApis)
  }
  // The package registers its routes, its own CORS plugin (any origin, GET only: our hooks answer
  // preflights first and have the last word on every response's CORS headers), the IPNS record
  // body parser, and then listens.
  await createDelegatedRoutingV1HttpApiServer(
    { routing: routingForServer(init) } as unknown as Parameters<typeof createDelegatedRoutingV1HttpApiServer>[0],
    { fastify: app, listen }
  )
  return app
}
