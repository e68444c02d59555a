/**
 * Verified retrieval of `ipfs://`, `ipns://`, `/ipfs/…` and `/ipns/…` through
 * `@helia/verified-fetch`, over a block source that walks local blocks, connected peers and the
 * trustless gateways in order (see blocks.ts). IPNS and DNSLink names are resolved first with
 * Cairn's resolver (delegated routers, every record validated).
 *
 * Failures come back as named errors at once: a tampered block from a gateway is a
 * `TamperedContentError`, a block nobody has is an `AllGatewaysFailedError`; verified-fetch's
 * generic 5xx answers are never the only clue.
 */
import { createVerifiedFetchWithHelia } from '@helia/verified-fetch'
import * as dagPb from '@ipld/dag-pb'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as json from 'multiformats/codecs/json'
import { CairnError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { resolve as resolveName } from '../ipns/resolve.js'
import { getBlock } from './blocks.js'
import { ContentPathNotFoundError, FetchFailedError, InvalidContentPathError } from './errors.js'
import type { BlockEvents, BlockOptions, BlockSources } from './blocks.js'
import type { IPNSComponents } from '../ipns/publish.js'
import type { ResolveEvents } from '../ipns/resolve.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { CreateVerifiedFetchOptions } from '@helia/verified-fetch'
import type { Blockstore } from 'interface-blockstore'

export type FetchEvents =
  | BlockEvents
  | ResolveEvents
  | ProgressEvent<'fetch:ipns:resolved', { name: string, value: string }>

export interface FetchComponents extends BlockSources {
  /** For `ipns://` names: routers and the name-state store. */
  ipns?: IPNSComponents | undefined
  /** DNS-over-HTTPS JSON endpoint for DNSLink names (`ipns://example.org`). */
  dohEndpoint?: string | undefined
}

export interface FetchContentOptions extends OperationOptions<FetchEvents>, Pick<BlockOptions, 'gatewayTimeoutMs' | 'offline' | 'cache' | 'peerHeadStartMs'> {
  /** Request headers for verified-fetch (e.g. `accept`, `range`). */
  headers?: HeadersInit | undefined
  /** `HEAD` answers headers only. @default 'GET' */
  method?: 'GET' | 'HEAD' | undefined
}

/** A content address split into its parts. */
export interface ContentPath {
  namespace: 'ipfs' | 'ipns'
  /** The CID (ipfs) or the name/domain (ipns). */
  root: string
  /** `''` or `/a/b` (percent-encoded as given). */
  path: string
  /** `?…` as given, or `''`. */
  search: string
}

/**
 * Parses `ipfs://cid/p`, `ipns://name/p`, `/ipfs/cid/p`, `/ipns/name/p`, or a bare CID.
 * @throws InvalidContentPathError
 */
export function parseContentPath (input: string): ContentPath {
  const text = input.trim()
  let rest: string
  let namespace: 'ipfs' | 'ipns'
  const m = /^(?:(ipfs|ipns):\/\/|\/(ipfs|ipns)\/)(.*)$/i.exec(text)
  if (m !== null) {
    namespace = (m[1] ?? m[2] ?? '').toLowerCase() as 'ipfs' | 'ipns'
    rest = m[3] ?? ''
  } else {
    try {
      CID.parse(text.split(/[/?#]/)[0] ?? '')
    } catch {
      throw new InvalidContentPathError(`"${input}" is not a content address. Give ipfs://<cid>[/path], ipns://<name>[/path], /ipfs/<cid>[/path] or /ipns/<name>[/path].`)
    }
    namespace = 'ipfs'
    rest = text
  }
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  const q = rest.indexOf('?')
  const search = q === -1 ? '' : rest.slice(q)
  if (q !== -1) rest = rest.slice(0, q)
  const slash = rest.indexOf('/')
  const root = slash === -1 ? rest : rest.slice(0, slash)
  const path = slash === -1 ? '' : rest.slice(slash)
  if (root === '') throw new InvalidContentPathError(`"${input}" has no ${namespace === 'ipfs' ? 'CID' : 'name'} after ${namespace}. Give e.g. ${namespace}://${namespace === 'ipfs' ? 'bafy…' : 'k51…'}/path.`)
  if (namespace === 'ipfs') {
    try {
      CID.parse(root)
    } catch (err) {
      throw new InvalidContentPathError(`"${root}" in "${input}" is not a CID. Check that it was copied whole.`, { cause: err })
    }
  }
  return { namespace, root, path, search }
}

/** Resolves an `ipns` content path to an `/ipfs/cid/path`; an `ipfs` path is returned as is. */
export async function resolveContentPath (components: Pick<FetchComponents, 'ipns' | 'dohEndpoint'>, target: ContentPath, options: OperationOptions<FetchEvents> = {}): Promise<{ cid: CID, path: string }> {
  if (target.namespace === 'ipfs') return { cid: CID.parse(target.root), path: target.path }
  if (components.ipns === undefined) {
    throw new InvalidContentPathError(`ipns://${target.root} is a name, and names need a delegated router to resolve. Add one in Settings.`)
  }
  const result = await resolveName(components.ipns, `/ipns/${target.root}${target.path}`, {
    signal: options.signal,
    onProgress: options.onProgress,
    dohEndpoint: components.dohEndpoint
  })
  emit(options, 'fetch:ipns:resolved', { name: target.root, value: result.value })
  const resolved = parseContentPath(result.value)
  if (resolved.namespace !== 'ipfs') throw new FetchFailedError(`${target.root} resolved to ${result.value}, which is not an /ipfs/ path.`, { status: 502 })
  return { cid: CID.parse(resolved.root), path: resolved.path }
}

const CODECS = new Map<number, unknown>([[dagPb.code, dagPb], [raw.code, raw], [json.code, json]])

function noopLogger (): unknown {
  const log = Object.assign(() => {}, { enabled: false })
  const logger = Object.assign(() => {}, { enabled: false, error: log, trace: log, newScope: () => logger })
  return { forComponent: () => logger }
}

/** The per-request block source handed to verified-fetch; remembers the first named failure. */
class RetrievalBlockstore {
  failure: CairnError | undefined
  /** One retrieval per block at a time, however many readers want it. */
  private readonly inFlight = new Map<string, Promise<Uint8Array>>()
  private peersMissed = false

  constructor (private readonly sources: BlockSources, private readonly options: FetchContentOptions) {}

  async * get (cid: CID, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
    const key = cid.toString()
    let pending = this.inFlight.get(key)
    if (pending === undefined) {
      const sources = this.peersMissed ? { ...this.sources, peers: undefined } : this.sources
      pending = getBlock(sources, cid, {
        ...this.options,
        signal: options.signal ?? this.options.signal,
        onProgress: (event) => {
          // Once peers lacked a block of this request, ask the gateways directly for the rest,
          // instead of waiting out the peers' timeout block after block.
          if (event.type === 'fetch:gateway:request') this.peersMissed = true
          this.options.onProgress?.(event)
        }
      }).finally(() => { this.inFlight.delete(key) })
      this.inFlight.set(key, pending)
    }
    try {
      yield await pending
    } catch (err) {
      if (err instanceof CairnError) this.failure ??= err
      throw err
    }
  }

  async has (cid: CID): Promise<boolean> {
    return await this.sources.blockstore.has(cid)
  }

  createSession (): this {
    return this
  }
}

function helia (blockstore: RetrievalBlockstore): Parameters<typeof createVerifiedFetchWithHelia>[0] {
  return {
    blockstore: blockstore as unknown as Blockstore,
    logger: noopLogger(),
    getCodec: async (code: number) => {
      const codec = CODECS.get(code)
      if (codec === undefined) throw new FetchFailedError(`Codec 0x${code.toString(16)} is not supported for this request.`, { status: 501 })
      return codec
    },
    start: async () => {},
    stop: async () => {}
  } as unknown as Parameters<typeof createVerifiedFetchWithHelia>[0]
}

const NO_NAMES: CreateVerifiedFetchOptions = {
  // Names are resolved before verified-fetch sees the request, so these are never reached.
  // eslint-disable-next-line require-yield
  ipnsResolver: { resolve: async function * () { throw new InvalidContentPathError('Names are resolved before retrieval.') } } as unknown as NonNullable<CreateVerifiedFetchOptions['ipnsResolver']>,
  dnsLink: { resolve: async () => { throw new InvalidContentPathError('Names are resolved before retrieval.') } } as unknown as NonNullable<CreateVerifiedFetchOptions['dnsLink']>
}

function withBodyErrors (res: Response, store: RetrievalBlockstore): Response {
  if (res.body === null) return res
  const reader = res.body.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull (controller) {
      try {
        const { done, value } = await reader.read()
        if (done) controller.close()
        else controller.enqueue(value)
      } catch (err) {
        controller.error(store.failure ?? err)
      }
    },
    async cancel (reason) {
      await reader.cancel(reason)
    }
  })
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
}

/**
 * Fetches content by address and returns verified-fetch's `Response` (status 200, or a 3xx for a
 * directory without a trailing slash, 206 for ranges, 304…). Its body is verified block by block;
 * if a later block fails the stream errors with the named error.
 *
 * @throws TamperedContentError | AllGatewaysFailedError | NotAvailableOfflineError |
 *   ContentPathNotFoundError | InvalidContentPathError | FetchFailedError, or the abort reason
 */
export async function fetchContent (components: FetchComponents, address: string, options: FetchContentOptions = {}): Promise<Response> {
  const target = parseContentPath(address)
  const { cid, path } = await resolveContentPath(components, target, options)
  const store = new RetrievalBlockstore(components, options)
  const verifiedFetch = await createVerifiedFetchWithHelia(helia(store), NO_NAMES)
  const url = `ipfs://${cid.toString()}${path}${target.search}`
  const res = await verifiedFetch(url, {
    signal: options.signal,
    method: options.method ?? 'GET',
    headers: options.headers,
    session: false,
    redirect: 'manual'
  })
  if (res.status >= 400) {
    await res.body?.cancel().catch(() => {})
    options.signal?.throwIfAborted()
    if (store.failure !== undefined) throw store.failure
    if (res.status === 404) throw new ContentPathNotFoundError(`${path === '' ? '' : `"${decodeURIComponent(path)}" was not found in `}${cid.toString()}. Check the path.`)
    throw new FetchFailedError(`Retrieving ${url} failed with ${res.status} ${res.statusText}. Try again, or check the gateways in Settings.`, { status: res.status })
  }
  return withBodyErrors(res, store)
}

export interface DirectoryEntry {
  name: string
  cid: string
  /** Bytes under the entry as recorded in the directory (the link's Tsize). */
  size: bigint
}

export interface DirectoryListing {
  /** `/ipfs/<cid>[/path]` of the directory (after name resolution). */
  ipfsPath: string
  entries: DirectoryEntry[]
}

/**
 * Lists a UnixFS directory (plain or HAMT-sharded), with the same verified block sources as
 * `fetchContent`. Entries come in the directory's order; at most `limit` (default 10,000).
 *
 * @throws FetchFailedError (status 400) when the address is not a directory, or the errors of `getBlock`
 */
export async function listDirectory (components: FetchComponents, address: string, options: FetchContentOptions & { limit?: number } = {}): Promise<DirectoryListing> {
  const target = parseContentPath(address)
  const { cid, path } = await resolveContentPath(components, target, options)
  const store = new RetrievalBlockstore(components, options)
  const segments = path.split('/').filter(p => p !== '').map(p => decodeURIComponent(p))
  const ipfsPath = `/ipfs/${cid.toString()}${segments.map(s => '/' + s).join('')}`
  const entry = await exporter([cid.toString(), ...segments].join('/'), store as unknown as Blockstore, { signal: options.signal })
  if (entry.type !== 'directory') throw new FetchFailedError(`${ipfsPath} is a ${entry.type}, not a directory.`, { status: 400 })
  const entries: DirectoryEntry[] = []
  const limit = options.limit ?? 10_000
  for await (const e of entry.entries({ signal: options.signal })) {
    entries.push({ name: e.name, cid: e.cid.toString(), size: e.size })
    if (entries.length >= limit) break
  }
  return { ipfsPath, entries }
}

export interface FetchedBytes {
  bytes: Uint8Array
  /** The content type verified-fetch determined (e.g. `text/plain; charset=utf-8`). */
  contentType: string
  /** `/ipfs/<cid>[/path]` that was read (after name resolution). */
  ipfsPath: string
}

/** `fetchContent`, reading the whole body. */
export async function fetchBytes (components: FetchComponents, address: string, options: FetchContentOptions = {}): Promise<FetchedBytes> {
  const res = await fetchContent(components, address, options)
  const bytes = new Uint8Array(await res.arrayBuffer())
  return {
    bytes,
    contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    ipfsPath: res.headers.get('x-ipfs-path') ?? ''
  }
}
