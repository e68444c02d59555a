/**
 * Block retrieval in a fixed order: the local blockstore, then connected peers, then each trustless
 * gateway in turn. Every byte from the network is hashed and compared with the CID before it is
 * used or stored; a mismatch is recorded against the gateway and the next source is tried. When
 * nothing works the caller gets one named error at once (no silent retries until a timeout).
 */
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { equalBytes } from '../../core/bytes.js'
import { emit, withTimeout } from '../../core/options.js'
import { AllGatewaysFailedError, NotAvailableOfflineError, TamperedContentError, UnsupportedHashError } from './errors.js'
import type { GatewayFailure } from './errors.js'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** Raw blocks over a trustless gateway. */
export const RAW_BLOCK_TYPE = 'application/vnd.ipld.raw'
/** @default 15 s per gateway request. */
export const DEFAULT_GATEWAY_TIMEOUT_MS = 15_000
/** @default 1 s for peers to answer before the gateways are asked as well. */
export const DEFAULT_PEER_HEAD_START_MS = 1000
/** Blocks larger than this are refused (the IPFS block limit is 2 MiB; leave room). */
export const MAX_BLOCK_BYTES = 4 * 1024 * 1024

export type BlockEvents =
  | ProgressEvent<'fetch:block:local', { cid: string }>
  | ProgressEvent<'fetch:block:peer', { cid: string }>
  | ProgressEvent<'fetch:gateway:request', { cid: string, gateway: string }>
  | ProgressEvent<'fetch:gateway:failed', { cid: string } & GatewayFailure>
  | ProgressEvent<'fetch:gateway:ok', { cid: string, gateway: string, bytes: number }>

/** Asks connected peers for a block; resolves `undefined` when none has it (or none is connected). */
export type PeerBlockSource = (cid: CID, options: AbortOptions) => Promise<Uint8Array | undefined>

export interface BlockSources {
  /** Local blocks: read first, and where retrieved blocks are kept (unless `cache` is false). */
  blockstore: Pick<Blockstore, 'has' | 'get' | 'put'>
  /** Trustless gateway base URLs (`https://host[/prefix]`), tried in this order. */
  gateways: readonly string[]
  /** Connected peers (bitswap), asked after the local store and before the gateways. */
  peers?: PeerBlockSource | undefined
  /** The fetch used for gateways. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined
}

export interface BlockOptions extends OperationOptions<BlockEvents> {
  /** Time allowed for each gateway request, in ms. @default DEFAULT_GATEWAY_TIMEOUT_MS */
  gatewayTimeoutMs?: number | undefined
  /** Only local blocks (e.g. the service worker answering offline). */
  offline?: boolean | undefined
  /** Keep retrieved blocks in the local blockstore. @default true */
  cache?: boolean | undefined
  /** How long peers have alone before the gateways are asked too, in ms. @default DEFAULT_PEER_HEAD_START_MS */
  peerHeadStartMs?: number | undefined
}

const HASHERS = new Map<number, (bytes: Uint8Array) => Promise<Uint8Array> | Uint8Array>([
  [sha256.code, async b => (await sha256.digest(b)).digest],
  [sha512.code, async b => (await sha512.digest(b)).digest],
  [identity.code, b => identity.digest(b).digest]
])

/** True when `bytes` hash to `cid`'s multihash. Throws `UnsupportedHashError` for unknown hashes. */
export async function verifyBlock (cid: CID, bytes: Uint8Array): Promise<boolean> {
  const hash = HASHERS.get(cid.multihash.code)
  if (hash === undefined) {
    throw new UnsupportedHashError(`${cid.toString()} uses multihash 0x${cid.multihash.code.toString(16)}, which Cairn cannot verify, so its bytes cannot be trusted. Use a sha2-256 CID.`)
  }
  return equalBytes(await hash(bytes), cid.multihash.digest)
}

async function concat (chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const c of chunks) { parts.push(c); length += c.byteLength }
  if (parts.length === 1 && parts[0] !== undefined) return parts[0]
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.byteLength }
  return out
}

/** `https://gw.example/prefix/` + CID → the raw-block URL. */
export function gatewayBlockUrl (gateway: string, cid: CID): string {
  const base = new URL(gateway)
  const prefix = base.pathname.replace(/\/+$/, '')
  return `${base.origin}${prefix}/ipfs/${cid.toString()}?format=raw`
}

async function readLimited (res: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {})
    throw new RangeError(`the block is ${declared} bytes, over the ${limit}-byte limit`)
  }
  const reader = res.body?.getReader()
  if (reader === undefined) return new Uint8Array()
  const parts: Uint8Array[] = []
  let length = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    length += value.byteLength
    if (length > limit) {
      await reader.cancel().catch(() => {})
      throw new RangeError(`the block is over the ${limit}-byte limit`)
    }
    parts.push(value)
  }
  return concat(parts)
}

/**
 * Asks one gateway for one block. Returns the verified bytes, or a failure; throws only when the
 * caller's signal aborts.
 */
export async function fetchBlockFromGateway (gateway: string, cid: CID, options: BlockOptions & { fetch?: typeof globalThis.fetch | undefined } = {}): Promise<{ bytes: Uint8Array } | { failure: GatewayFailure }> {
  const fail = (kind: GatewayFailure['kind'], message: string): { failure: GatewayFailure } => ({ failure: { gateway, kind, message } })
  let url: string
  try {
    url = gatewayBlockUrl(gateway, cid)
  } catch {
    return fail('invalid', `"${gateway}" is not a URL`)
  }
  const timeoutMs = options.gatewayTimeoutMs ?? DEFAULT_GATEWAY_TIMEOUT_MS
  const { signal, clear } = withTimeout(options.signal, timeoutMs)
  try {
    const f = options.fetch ?? globalThis.fetch
    let res: Response
    try {
      res = await f(url, { headers: { accept: RAW_BLOCK_TYPE }, signal, cache: 'no-store', credentials: 'omit', redirect: 'follow' })
    } catch (err) {
      options.signal?.throwIfAborted()
      if (signal.aborted) return fail('timeout', `no answer within ${timeoutMs} ms`)
      return fail('unreachable', `could not connect (${(err as Error).message})`)
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {})
      return fail('status', `answered ${res.status}${res.statusText === '' ? '' : ' ' + res.statusText}`)
    }
    let bytes: Uint8Array
    try {
      bytes = await readLimited(res, MAX_BLOCK_BYTES)
    } catch (err) {
      options.signal?.throwIfAborted()
      if (signal.aborted) return fail('timeout', `the body did not arrive within ${timeoutMs} ms`)
      return fail('invalid', `the body could not be read (${(err as Error).message})`)
    }
    if (!await verifyBlock(cid, bytes)) {
      return fail('tampered', `sent ${bytes.byteLength} bytes whose hash does not match the CID`)
    }
    return { bytes }
  } finally {
    clear()
  }
}

/**
 * Gets one block: local store, then peers, then gateways in order (the gateways start once peers
 * have not answered within `peerHeadStartMs`). Bytes from the network are verified first, and kept
 * locally unless `cache` is false.
 *
 * @throws TamperedContentError when a gateway sent wrong bytes and no source sent the right ones
 * @throws AllGatewaysFailedError when no source had the block
 * @throws NotAvailableOfflineError when `offline` and the block is not local
 */
export async function getBlock (sources: BlockSources, cid: CID, options: BlockOptions = {}): Promise<Uint8Array> {
  const key = cid.toString()
  options.signal?.throwIfAborted()
  if (cid.multihash.code === identity.code) return cid.multihash.digest
  if (await sources.blockstore.has(cid, options)) {
    emit(options, 'fetch:block:local', { cid: key })
    return concat(sources.blockstore.get(cid, options))
  }
  if (options.offline === true) throw new NotAvailableOfflineError(key)
  const keep = async (bytes: Uint8Array): Promise<Uint8Array> => {
    if (options.cache !== false) await sources.blockstore.put(cid, bytes, { signal: options.signal })
    return bytes
  }
  if (sources.peers === undefined) return await keep(await fromGateways(sources, cid, options))

  // Peers first; if they have not answered within the head start, the gateways begin too, and the
  // first verified block wins. A gateway failure still ends the request at once.
  const peerSignal = linkedController(options.signal)
  const gatewaySignal = linkedController(options.signal)
  const peerAnswer = askPeers(sources.peers, cid, peerSignal.signal)
  try {
    const headStart = options.peerHeadStartMs ?? DEFAULT_PEER_HEAD_START_MS
    let timer: ReturnType<typeof setTimeout> | undefined
    const first = await Promise.race([peerAnswer, new Promise<'slow'>(resolve => { timer = setTimeout(() => { resolve('slow') }, headStart) })])
    clearTimeout(timer)
    if (first instanceof Uint8Array) {
      emit(options, 'fetch:block:peer', { cid: key })
      return await keep(first)
    }
    options.signal?.throwIfAborted()
    const viaGateways = fromGateways(sources, cid, { ...options, signal: gatewaySignal.signal })
    viaGateways.catch(() => {}) // awaited below; this only keeps a lost race from being "unhandled"
    if (first === undefined) return await keep(await viaGateways)
    const winner = await Promise.race([
      viaGateways.then(bytes => ({ from: 'gateway' as const, bytes })),
      peerAnswer.then(async bytes => bytes === undefined ? { from: 'gateway' as const, bytes: await viaGateways } : { from: 'peer' as const, bytes })
    ])
    if (winner.from === 'peer') emit(options, 'fetch:block:peer', { cid: key })
    return await keep(winner.bytes)
  } finally {
    peerSignal.abort()
    gatewaySignal.abort()
  }
}

/** Peers' verified answer, or undefined (none had it, or it was wrong). Throws only on abort. */
async function askPeers (peers: PeerBlockSource, cid: CID, signal: AbortSignal): Promise<Uint8Array | undefined> {
  try {
    const bytes = await peers(cid, { signal })
    if (bytes !== undefined && await verifyBlock(cid, bytes)) return bytes
    return undefined
  } catch {
    return undefined
  }
}

function linkedController (parent: AbortSignal | undefined): { signal: AbortSignal, abort: () => void } {
  const controller = new AbortController()
  const onAbort = (): void => { controller.abort(parent?.reason) }
  if (parent?.aborted === true) controller.abort(parent.reason)
  else parent?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    abort: () => {
      parent?.removeEventListener('abort', onAbort)
      if (!controller.signal.aborted) controller.abort(new DOMException('superseded', 'AbortError'))
    }
  }
}

/** Each gateway in order; the first verified block wins, else one named error listing them all. */
export async function fromGateways (sources: Pick<BlockSources, 'gateways' | 'fetch'>, cid: CID, options: BlockOptions): Promise<Uint8Array> {
  const key = cid.toString()
  const failures: GatewayFailure[] = []
  for (const gateway of sources.gateways) {
    emit(options, 'fetch:gateway:request', { cid: key, gateway })
    const result = await fetchBlockFromGateway(gateway, cid, { ...options, fetch: sources.fetch })
    if ('bytes' in result) {
      emit(options, 'fetch:gateway:ok', { cid: key, gateway, bytes: result.bytes.byteLength })
      return result.bytes
    }
    failures.push(result.failure)
    emit(options, 'fetch:gateway:failed', { cid: key, ...result.failure })
  }
  if (failures.some(f => f.kind === 'tampered')) throw new TamperedContentError(key, failures)
  throw new AllGatewaysFailedError(key, failures)
}

/**
 * Set on a Helia `blockstore.get` to keep the node's gateway broker (`./gateway-broker.ts`) out of
 * it: `getBlock` asks the gateways itself, after the peers' head start.
 */
export const PEERS_ONLY = 'cairnPeersOnly'

/**
 * A peer source over a Helia node's blockstore (bitswap and whatever else the node has, but not
 * its gateway broker), asked only when the node has connections, for at most `timeoutMs`.
 */
export function peersFromNode (node: { blockstore: Pick<Blockstore, 'get'>, libp2p: { getConnections: () => unknown[] } }, init: { timeoutMs?: number } = {}): PeerBlockSource {
  return async (cid, options) => {
    if (node.libp2p.getConnections().length === 0) return undefined
    const { signal, clear } = withTimeout(options.signal, init.timeoutMs ?? 5000)
    try {
      return await concat(node.blockstore.get(cid, { signal, [PEERS_ONLY]: true } as AbortOptions))
    } catch (err) {
      options.signal?.throwIfAborted()
      if (signal.aborted) return undefined
      throw err
    } finally {
      clear()
    }
  }
}
