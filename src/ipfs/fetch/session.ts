/**
 * A block session for one DAG (a restic repository): the first block missing locally is asked of
 * the connected peers and of every gateway at once, and whichever source sends it verified first
 * is then used alone for the session's other blocks. So one lookup serves the whole DAG, and no
 * block comes twice (over bitswap and over HTTP). When the chosen source fails or goes quiet, the
 * next block is raced again and the session moves to whoever answers.
 *
 * It stands in for a Helia blockstore where blocks are read (`get`, `has`; `put` and the rest go to
 * the node's blockstore), so `@helia/unixfs` reads through it.
 */
import { identity } from 'multiformats/hashes/identity'
import { emit, withTimeout } from '../../core/options.js'
import { PEERS_ONLY, fetchBlockFromGateway, verifyBlock } from './blocks.js'
import { AllGatewaysFailedError, TamperedContentError } from './errors.js'
import type { BlockEvents, BlockOptions } from './blocks.js'
import type { GatewayFailure } from './errors.js'
import type { AbortOptions, ProgressEvent } from '../../core/options.js'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** @default 5 s for the session's peers to send a block before it is raced again. */
export const DEFAULT_SESSION_PEER_TIMEOUT_MS = 5000

export type SessionEvents =
  | BlockEvents
  | ProgressEvent<'fetch:session:source', { cid: string, source: string }>

/** What a session reads through: the node's blockstore (local blocks, and peers through bitswap). */
export interface SessionNode {
  blockstore: Pick<Blockstore, 'has' | 'get' | 'put'>
  libp2p?: { getConnections: () => unknown[] } | undefined
}

export interface BlockSessionInit extends Omit<BlockOptions, 'signal'> {
  /** Trustless gateway base URLs, in Settings order. */
  gateways?: readonly string[] | undefined
  fetch?: typeof globalThis.fetch | undefined
  /** How long the session's peers have for a block before it is raced again. @default 5 s */
  peerTimeoutMs?: number | undefined
  /** Where `fetch:session:source` and the gateway events go. */
  events?: { onProgress?: ((evt: SessionEvents) => void) | undefined } | undefined
}

type Source = { kind: 'peers' } | { kind: 'gateway', url: string }

function sourceName (s: Source): string {
  return s.kind === 'peers' ? 'peers' : s.url
}

async function concat (chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const c of chunks) { parts.push(c); length += c.byteLength }
  if (parts.length === 1 && parts[0] !== undefined) return parts[0]
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.byteLength }
  return out
}

class SourceFailed extends Error {
  constructor (readonly failure: GatewayFailure | undefined) { super(failure?.message ?? 'no peer sent the block') }
}

export class BlockSession {
  readonly #node: SessionNode
  readonly #init: BlockSessionInit
  #source: Source | undefined
  /** The race in progress: other requests wait for it, so they use what it learns. */
  #racing: Promise<unknown> | undefined
  readonly #inflight = new Map<string, Promise<Uint8Array>>()

  constructor (node: SessionNode, init: BlockSessionInit = {}) {
    this.#node = node
    this.#init = init
  }

  /** The source the session settled on (`peers` or a gateway URL), once it has. */
  get source (): string | undefined { return this.#source === undefined ? undefined : sourceName(this.#source) }

  async has (cid: CID, options?: AbortOptions): Promise<boolean> { return await this.#node.blockstore.has(cid, options) }

  async put (cid: CID, bytes: Uint8Array, options?: AbortOptions): Promise<CID> { return await this.#node.blockstore.put(cid, bytes, options) }

  async * get (cid: CID, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
    yield await this.block(cid, options)
  }

  /** One block: local, else from the session's source (raced among all sources when it has none). */
  async block (cid: CID, options: AbortOptions = {}): Promise<Uint8Array> {
    options.signal?.throwIfAborted()
    if (cid.multihash.code === identity.code) return cid.multihash.digest
    if (await this.#node.blockstore.has(cid, options)) return await concat(this.#node.blockstore.get(cid, options))
    const key = cid.toString()
    let pending = this.#inflight.get(key)
    if (pending === undefined) {
      pending = this.#fetch(cid).finally(() => { this.#inflight.delete(key) })
      this.#inflight.set(key, pending)
    }
    // The shared fetch runs to the end (another read may want it); this caller stops at its signal.
    return await raceSignal(pending, options.signal)
  }

  async #waitForRace (): Promise<void> {
    while (this.#racing !== undefined) await this.#racing.catch(() => {})
  }

  async #fetch (cid: CID): Promise<Uint8Array> {
    await this.#waitForRace()
    const source = this.#source
    if (source !== undefined) {
      try {
        return await this.#from(source, cid)
      } catch (err) {
        if (!(err instanceof SourceFailed)) throw err
        if (this.#source === source) this.#source = undefined
      }
      await this.#waitForRace()
      if (this.#source !== undefined) return await this.#fetch(cid)
    }
    const race = this.#race(cid)
    this.#racing = race
    try {
      return await race
    } finally {
      if (this.#racing === race) this.#racing = undefined
    }
  }

  #peersConnected (): boolean {
    const l = this.#node.libp2p
    return l !== undefined && l.getConnections().length > 0
  }

  /** Every source at once; the first verified block wins and its source is kept. */
  async #race (cid: CID): Promise<Uint8Array> {
    const sources: Source[] = [
      ...(this.#peersConnected() ? [{ kind: 'peers' as const }] : []),
      ...(this.#init.gateways ?? []).map(url => ({ kind: 'gateway' as const, url }))
    ]
    const controller = new AbortController()
    const failures: GatewayFailure[] = []
    try {
      const { source, bytes } = await Promise.any(sources.map(async (s) => {
        try {
          return { source: s, bytes: await this.#from(s, cid, controller.signal) }
        } catch (err) {
          if (err instanceof SourceFailed && err.failure !== undefined) failures.push(err.failure)
          throw err
        }
      }))
      this.#source = source
      emit(this.#init.events, 'fetch:session:source', { cid: cid.toString(), source: sourceName(source) })
      return bytes
    } catch (err) {
      if (!(err instanceof AggregateError)) throw err
      if (failures.some(f => f.kind === 'tampered')) throw new TamperedContentError(cid.toString(), failures)
      throw new AllGatewaysFailedError(cid.toString(), failures)
    } finally {
      controller.abort()
    }
  }

  /** One source; `SourceFailed` when it does not have the block (or sent wrong bytes). */
  async #from (source: Source, cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const key = cid.toString()
    if (source.kind === 'gateway') {
      emit(this.#init.events, 'fetch:gateway:request', { cid: key, gateway: source.url })
      const r = await fetchBlockFromGateway(source.url, cid, { gatewayTimeoutMs: this.#init.gatewayTimeoutMs, fetch: this.#init.fetch, signal })
      if ('failure' in r) {
        emit(this.#init.events, 'fetch:gateway:failed', { cid: key, ...r.failure })
        throw new SourceFailed(r.failure)
      }
      emit(this.#init.events, 'fetch:gateway:ok', { cid: key, gateway: source.url, bytes: r.bytes.byteLength })
      await this.#node.blockstore.put(cid, r.bytes)
      return r.bytes
    }
    if (!this.#peersConnected()) throw new SourceFailed(undefined)
    const { signal: timed, clear } = withTimeout(signal, this.#init.peerTimeoutMs ?? DEFAULT_SESSION_PEER_TIMEOUT_MS)
    try {
      // Peers only: the node's gateway broker stays out (the gateways are sources of their own here).
      const bytes = await concat(this.#node.blockstore.get(cid, { signal: timed, [PEERS_ONLY]: true } as AbortOptions))
      if (!await verifyBlock(cid, bytes)) throw new SourceFailed(undefined)
      emit(this.#init.events, 'fetch:block:peer', { cid: key })
      return bytes
    } catch (err) {
      signal?.throwIfAborted()
      if (err instanceof SourceFailed) throw err
      throw new SourceFailed(undefined)
    } finally {
      clear()
    }
  }
}

async function raceSignal<T> (p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await p
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

/** A session for a DAG read through `node` (see `BlockSession`). */
export function createBlockSession (node: SessionNode, init: BlockSessionInit = {}): BlockSession {
  return new BlockSession(node, init)
}
