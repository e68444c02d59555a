/**
 * The local network peer's pin requests: each fetches the DAG it lacks from connected peers over
 * bitswap (dialling the request's origins first), then pins it with real Helia pins. Shared by
 * the `/cairn/pin/1.0.0` protocol and the Pinning Service API. Given a `datastore` (the peer's
 * own, which also holds Helia's pins), each request that reached `pinned` is written there and read
 * back by `load()` after a restart; queued, running and failed requests live in memory only.
 */
import { randomUUID } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { Key } from 'interface-datastore'
import { CID as CIDClass } from 'multiformats/cid'
import { isAbortError } from '../../core/errors.js'
import { linksOf, readBlock } from '../../ipfs/car/walk.js'
import { pin, unpin } from '../../ipfs/pins/pins.js'
import { NetworkStoreError } from './errors.js'
import type { Helia } from '@helia/interface'
import type { Libp2p } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import type { CID } from 'multiformats/cid'

export type PinJobState = 'queued' | 'pinning' | 'pinned' | 'failed'

export interface PinJob {
  requestid: string
  cid: CID
  name?: string | undefined
  origins: string[]
  meta: Record<string, string>
  created: Date
  status: PinJobState
  /** Blocks fetched or found so far, and their bytes; once pinned, the blocks the pin covers. */
  blocks: number
  bytes: number
  /** Of those, the blocks (and bytes) that were not here and came from peers (memory only). */
  fetchedBlocks?: number | undefined
  fetchedBytes?: number | undefined
  /** Why it failed. */
  reason?: string | undefined
}

export interface PinJobRequest {
  cid: CID
  name?: string | undefined
  origins?: string[] | undefined
  meta?: Record<string, string> | undefined
}

export interface PinJobsInit {
  helia: Pick<Helia, 'blockstore' | 'pins'> & { libp2p: Pick<Libp2p, 'dial' | 'getConnections'> }
  /** Requests fetched at once; more wait as `queued`. Default 2. */
  concurrency?: number
  /** Blocks fetched at once within one request. Default 16. */
  blockConcurrency?: number
  /** A block no connected peer sends within this long fails the request. Default 60 s. */
  blockTimeoutMs?: number
  /** An unanswered block request is made again after this long. Default 15 s. */
  blockRetryMs?: number
  /** Where pinned requests are kept (under `/cairn-network/pins/`). Default: memory only. */
  datastore?: Pick<Datastore, 'put' | 'delete' | 'query'> | undefined
  /** Where the datastore is, for error messages (e.g. its folder). */
  datastoreName?: string | undefined
}

const PINS_PREFIX = '/cairn-network/pins'

function pinKey (requestid: string): Key {
  return new Key(`${PINS_PREFIX}/${requestid}`)
}

function isStringMap (v: unknown): v is Record<string, string> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(x => typeof x === 'string')
}

function encodeJob (job: PinJob): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    requestid: job.requestid,
    cid: job.cid.toString(),
    ...(job.name !== undefined ? { name: job.name } : {}),
    origins: job.origins,
    meta: job.meta,
    created: job.created.toISOString(),
    blocks: job.blocks,
    bytes: job.bytes
  }))
}

/** Parses a stored pinned request; throws a plain Error saying what is wrong. */
function decodeJob (bytes: Uint8Array): PinJob {
  let v: Record<string, unknown>
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>
  } catch {
    throw new Error('it is not JSON')
  }
  if (v === null || typeof v !== 'object' || typeof v.requestid !== 'string' || typeof v.cid !== 'string' ||
    (v.name !== undefined && typeof v.name !== 'string') || !Array.isArray(v.origins) || !v.origins.every(o => typeof o === 'string') ||
    !isStringMap(v.meta) || typeof v.created !== 'string' || Number.isNaN(Date.parse(v.created)) ||
    typeof v.blocks !== 'number' || typeof v.bytes !== 'number') {
    throw new Error('it lacks fields of a pin request, or they have the wrong types')
  }
  return {
    requestid: v.requestid,
    cid: CIDClass.parse(v.cid),
    ...(typeof v.name === 'string' ? { name: v.name } : {}),
    origins: v.origins as string[],
    meta: v.meta,
    created: new Date(v.created),
    status: 'pinned',
    blocks: v.blocks,
    bytes: v.bytes
  }
}

type Listener = (job: PinJob) => void

/** Failed requests kept for listing; older ones are forgotten first. */
const MAX_FAILED_KEPT = 1000

const TERMINAL = new Set<PinJobState>(['pinned', 'failed'])
const IDENTITY = 0x00

export class PinJobs {
  readonly #helia: PinJobsInit['helia']
  readonly #concurrency: number
  readonly #blockConcurrency: number
  readonly #blockTimeoutMs: number
  readonly #retryMs: number
  readonly #jobs = new Map<string, PinJob>()
  readonly #controllers = new Map<string, AbortController>()
  readonly #listeners = new Map<string, Set<Listener>>()
  readonly #waiting: string[] = []
  #running = 0
  /** Helia pins run one at a time (two pins of one CID at once would both mark its blocks). */
  #pinChain: Promise<unknown> = Promise.resolve()
  #stopped = false
  readonly #datastore: PinJobsInit['datastore']
  readonly #datastoreName: string

  constructor (init: PinJobsInit) {
    this.#helia = init.helia
    this.#datastore = init.datastore
    this.#datastoreName = init.datastoreName ?? 'the datastore'
    this.#concurrency = init.concurrency ?? 2
    this.#blockConcurrency = init.blockConcurrency ?? 16
    this.#blockTimeoutMs = init.blockTimeoutMs ?? 60_000
    this.#retryMs = init.blockRetryMs ?? 15_000
  }

  /**
   * Reads the pinned requests kept before a restart back from the datastore. One whose CID is no
   * longer pinned in Helia is queued again (its blocks are likely still here). An entry that is
   * not a pin request is a `NetworkStoreError`. Returns how many were read.
   */
  async load (options: { signal?: AbortSignal | undefined } = {}): Promise<number> {
    if (this.#datastore === undefined) return 0
    let n = 0
    for await (const { key, value } of this.#datastore.query({ prefix: PINS_PREFIX }, options)) {
      let job: PinJob
      try {
        job = decodeJob(value)
        if (pinKey(job.requestid).toString() !== key.toString()) throw new Error('its request id differs from the id it is filed under')
      } catch (err) {
        throw new NetworkStoreError(`The pin request ${key.toString()} in ${this.#datastoreName} is not readable (${(err as Error).message}). Delete that entry (the file ${key.toString().slice(1)}.data there) and pin the CID again, or move the whole local network folder aside; then start again.`, { cause: err })
      }
      n++
      this.#jobs.set(job.requestid, job)
      if (!await this.#helia.pins.isPinned(job.cid, options)) {
        Object.assign(job, { status: 'queued', blocks: 0, bytes: 0 })
        this.#controllers.set(job.requestid, new AbortController())
        this.#waiting.push(job.requestid)
      }
    }
    if (this.#waiting.length > 0) queueMicrotask(() => { this.#pump() })
    return n
  }

  /** Queues a request and returns it at once (status `queued`). */
  add (request: PinJobRequest): PinJob {
    const job: PinJob = {
      requestid: randomUUID(),
      cid: request.cid,
      ...(request.name !== undefined ? { name: request.name } : {}),
      origins: request.origins ?? [],
      meta: request.meta ?? {},
      created: new Date(),
      status: 'queued',
      blocks: 0,
      bytes: 0
    }
    this.#jobs.set(job.requestid, job)
    this.#controllers.set(job.requestid, new AbortController())
    this.#waiting.push(job.requestid)
    queueMicrotask(() => { this.#pump() })
    return job
  }

  get (requestid: string): PinJob | undefined {
    return this.#jobs.get(requestid)
  }

  /** Every request, newest first. */
  list (): PinJob[] {
    return [...this.#jobs.values()].sort((a, b) => b.created.getTime() - a.created.getTime())
  }

  /** Calls `fn` on each change of the request until it is pinned or failed. Returns an unsubscribe. */
  subscribe (requestid: string, fn: Listener): () => void {
    let set = this.#listeners.get(requestid)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(requestid, set)
    }
    set.add(fn)
    return () => { set.delete(fn) }
  }

  /**
   * Forgets the request: stops it if still running, and unpins its CID unless another request
   * for the same CID still wants it. False when there was no such request.
   */
  async remove (requestid: string): Promise<boolean> {
    const job = this.#jobs.get(requestid)
    if (job === undefined) return false
    this.#jobs.delete(requestid)
    this.#controllers.get(requestid)?.abort(new Error('The pin request was removed.'))
    this.#controllers.delete(requestid)
    const at = this.#waiting.indexOf(requestid)
    if (at >= 0) this.#waiting.splice(at, 1)
    this.#listeners.delete(requestid)
    await this.#datastore?.delete(pinKey(requestid))
    const stillWanted = [...this.#jobs.values()].some(j => j.cid.equals(job.cid) && j.status !== 'failed')
    if (job.status === 'pinned' && !stillWanted) {
      await this.#serialPin(async () => {
        try {
          await unpin(this.#helia, job.cid)
        } catch (err) {
          if ((err as Error).name !== 'NotPinnedError') throw err
        }
      })
    }
    return true
  }

  /** Stops every running request (they fail); used when the network stops. */
  stop (): void {
    this.#stopped = true
    for (const c of this.#controllers.values()) c.abort(new Error('The local network is stopping.'))
  }

  #update (job: PinJob, patch: Partial<PinJob>): void {
    Object.assign(job, patch)
    for (const fn of this.#listeners.get(job.requestid) ?? []) {
      try { fn(job) } catch { /* a listener's failure is its own */ }
    }
    if (TERMINAL.has(job.status)) this.#listeners.delete(job.requestid)
    if (job.status === 'failed') this.#forgetOldFailures()
  }

  #forgetOldFailures (): void {
    const failed = [...this.#jobs.values()].filter(j => j.status === 'failed')
    if (failed.length <= MAX_FAILED_KEPT) return
    failed.sort((a, b) => a.created.getTime() - b.created.getTime())
    for (const j of failed.slice(0, failed.length - MAX_FAILED_KEPT)) this.#jobs.delete(j.requestid)
  }

  #pump (): void {
    while (this.#running < this.#concurrency && this.#waiting.length > 0) {
      const id = this.#waiting.shift()
      const job = id === undefined ? undefined : this.#jobs.get(id)
      const controller = id === undefined ? undefined : this.#controllers.get(id)
      if (job === undefined || controller === undefined) continue
      this.#running++
      void this.#run(job, controller.signal).finally(() => {
        this.#running--
        this.#controllers.delete(job.requestid)
        this.#pump()
      })
    }
  }

  async #serialPin<T> (fn: () => Promise<T>): Promise<T> {
    const next = this.#pinChain.then(fn, fn)
    this.#pinChain = next.catch(() => {})
    return next
  }

  async #run (job: PinJob, signal: AbortSignal): Promise<void> {
    if (this.#stopped) {
      this.#update(job, { status: 'failed', reason: 'The local network stopped before this request ran.' })
      return
    }
    this.#update(job, { status: 'pinning' })
    try {
      await this.#dialOrigins(job.origins, signal)
      await this.#fetchDag(job, signal)
      signal.throwIfAborted()
      const metadata: Record<string, string> = { ...job.meta, ...(job.name !== undefined ? { name: job.name } : {}) }
      const result = await this.#serialPin(async () => pin(this.#helia, job.cid, { complete: true, metadata }))
      if (!this.#jobs.has(job.requestid)) {
        // removed while pinning: undo unless another request wants it
        const stillWanted = [...this.#jobs.values()].some(j => j.cid.equals(job.cid) && j.status !== 'failed')
        if (!stillWanted && !result.alreadyPinned) await this.#serialPin(async () => unpin(this.#helia, job.cid)).catch(() => {})
        return
      }
      const blocks = Math.max(job.blocks, result.blocks)
      // on disk before it is listed as pinned, so a pinned request is never lost to a restart
      await this.#datastore?.put(pinKey(job.requestid), encodeJob({ ...job, status: 'pinned', blocks }))
      if (!this.#jobs.has(job.requestid)) {
        await this.#datastore?.delete(pinKey(job.requestid))
        return
      }
      this.#update(job, { status: 'pinned', blocks })
    } catch (err) {
      const reason = signal.aborted
        ? `Stopped: ${(signal.reason as Error | undefined)?.message ?? 'cancelled'}`
        : (err as Error).message
      this.#update(job, { status: 'failed', reason })
    }
  }

  /** Dials each origin the peer is not already connected to (bounded, failures ignored). */
  async #dialOrigins (origins: string[], signal: AbortSignal): Promise<void> {
    const connected = new Set(this.#helia.libp2p.getConnections().map(c => c.remotePeer.toString()))
    await Promise.all(origins.map(async (origin) => {
      try {
        const ma = multiaddr(origin)
        const peer = ma.getComponents().findLast(c => c.name === 'p2p')?.value
        if (peer !== undefined && connected.has(peer)) return
        await this.#helia.libp2p.dial(ma, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
      } catch {
        // an unreachable origin: the blocks may still come from another connected peer
      }
    }))
  }

  /** Fetches every block under the root that is not local yet, several at a time. */
  async #fetchDag (job: PinJob, signal: AbortSignal): Promise<void> {
    const blockstore = this.#helia.blockstore
    const seen = new Set<string>([job.cid.toString()])
    const queue: CID[] = [job.cid]
    let active = 0
    const fetchOne = async (cid: CID): Promise<{ links: CID[], size: number, fetched: boolean }> => {
      if (cid.multihash.code === IDENTITY) return { links: linksOf(cid, cid.multihash.digest), size: 0, fetched: false }
      const fetched = !await blockstore.has(cid, { signal })
      // A want that goes unanswered is asked again every `retryMs` (a fresh request sends a fresh
      // want), until `blockTimeoutMs` has passed in all.
      const deadline = Date.now() + this.#blockTimeoutMs
      for (;;) {
        const timeout = AbortSignal.timeout(Math.max(1, Math.min(this.#retryMs, deadline - Date.now())))
        try {
          const bytes = await readBlock(blockstore, cid, { signal: AbortSignal.any([signal, timeout]) })
          return { links: linksOf(cid, bytes), size: bytes.byteLength, fetched }
        } catch (err) {
          if (timeout.aborted && !signal.aborted) {
            if (Date.now() < deadline) continue
            throw new Error(`No connected peer sent block ${cid} within ${Math.round(this.#blockTimeoutMs / 1000)} s. The requester must stay connected (keep its tab open) until the pin completes.`, { cause: err })
          }
          if (isAbortError(err)) throw err
          throw new Error(`Could not fetch block ${cid}: ${(err as Error).message}`, { cause: err })
        }
      }
    }
    await new Promise<void>((resolve, reject) => {
      let failed = false
      const pump = (): void => {
        if (failed) return
        if (queue.length === 0 && active === 0) { resolve(); return }
        while (active < this.#blockConcurrency && queue.length > 0) {
          const cid = queue.shift() as CID
          active++
          fetchOne(cid).then(({ links, size, fetched }) => {
            active--
            for (const link of links) {
              const key = link.toString()
              if (!seen.has(key)) { seen.add(key); queue.push(link) }
            }
            this.#update(job, {
              blocks: job.blocks + 1,
              bytes: job.bytes + size,
              ...(fetched ? { fetchedBlocks: (job.fetchedBlocks ?? 0) + 1, fetchedBytes: (job.fetchedBytes ?? 0) + size } : {})
            })
            pump()
          }, (err: unknown) => {
            active--
            failed = true
            reject(err)
          })
        }
      }
      pump()
    })
  }
}
