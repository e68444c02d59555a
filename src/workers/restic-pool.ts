/**
 * A `BlobPool` on module Web Workers: each blob is hashed, compressed and sealed (backup) or
 * opened, decompressed and verified (restore) on one of `size` workers. Blob bytes are transferred,
 * never copied back and forth; a master key is sent to each worker once.
 *
 *   const pool = createResticPool({ signal })
 *   try { await backup(repo, source, { ...options, pool }) } finally { pool.close() }
 *
 * Where there are no Web Workers (Node), it works on the calling thread instead.
 */
import type { ErrorObject } from '../core/errors.js'
import type { Key } from '../restic/crypto/key.js'
import { InThreadBlobPool, PoolClosedError } from '../restic/repository/blob-pool.js'
import type { BlobPool, DecodeRequest, DecodedBlob, EncodeRequest, EncodedBlob } from '../restic/repository/blob-pool.js'
import type { ResticWorkerRequest, ResticWorkerResponse } from './restic-protocol.js'
import { ownBuffer } from './restic-worker-core.js'

export { PoolClosedError }

/** What the pool needs of a worker (a `Worker`, or a stand-in in tests). */
export interface WorkerLike {
  postMessage: (msg: ResticWorkerRequest, transfer: Transferable[]) => void
  addEventListener: (type: 'message' | 'error' | 'messageerror', listener: (e: Event) => void) => void
  terminate: () => void
}

export interface ResticPoolOptions {
  /** Number of workers (default: `navigator.hardwareConcurrency`, at least 1). */
  size?: number | undefined
  /** Aborting closes the pool: workers are terminated and pending work rejects with the reason. */
  signal?: AbortSignal | undefined
  /** Worker factory (default: `restic-worker.ts` as a module worker); for tests. */
  createWorker?: (() => WorkerLike) | undefined
}

export interface ResticPool extends BlobPool {
  /** False when it fell back to the calling thread (no Web Workers). */
  readonly workers: boolean
  /** Blobs currently handed to workers (for tests and benchmarks). */
  readonly pending: number
}

export function createResticPool (options: ResticPoolOptions = {}): ResticPool {
  const hw = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency
  const size = Math.max(1, Math.floor(options.size ?? hw ?? 2))
  if (options.createWorker === undefined && typeof Worker === 'undefined') return new InThreadPool(size, options.signal)
  const create = options.createWorker ?? ((): WorkerLike => new Worker(new URL('./restic-worker.ts', import.meta.url), { type: 'module', name: 'cairn-restic' }) as unknown as WorkerLike)
  return new WorkerPool(size, create, options.signal)
}

class InThreadPool extends InThreadBlobPool implements ResticPool {
  readonly workers = false
  pending = 0
  constructor (size: number, signal: AbortSignal | undefined) {
    super(size)
    signal?.addEventListener('abort', () => { this.close() }, { once: true })
    if (signal?.aborted === true) this.close()
  }
}

interface Job {
  worker: Slot
  resolve: (v: EncodedBlob | DecodedBlob) => void
  reject: (err: unknown) => void
  isNew?: ((id: string) => boolean) | undefined
  id?: string | undefined
  cleanup: () => void
}

interface Slot {
  w: WorkerLike
  jobs: number
  keys: WeakSet<Key>
}

function toError (o: ErrorObject): Error {
  const err = new Error(o.message, o.cause !== undefined ? { cause: toError(o.cause) } : undefined)
  err.name = o.name
  if (o.code !== undefined) (err as Error & { code?: string }).code = o.code
  return err
}

class WorkerPool implements ResticPool {
  readonly size: number
  readonly workers = true
  readonly #create: () => WorkerLike
  readonly #slots: Slot[] = []
  readonly #jobs = new Map<number, Job>()
  readonly #keyIds = new WeakMap<Key, number>()
  #nextKey = 1
  #nextJob = 1
  /** Set once the pool cannot be used any more (closed, aborted, or a worker failed). */
  #dead: unknown

  constructor (size: number, create: () => WorkerLike, signal: AbortSignal | undefined) {
    this.size = size
    this.#create = create
    if (signal !== undefined) {
      if (signal.aborted) this.#shutdown(signal.reason)
      else signal.addEventListener('abort', () => { this.#shutdown(signal.reason) }, { once: true })
    }
  }

  get pending (): number { return this.#jobs.size }

  close (): void { this.#shutdown(new PoolClosedError()) }

  #shutdown (reason: unknown): void {
    if (this.#dead !== undefined) return
    this.#dead = reason ?? new PoolClosedError()
    for (const s of this.#slots) s.w.terminate()
    this.#slots.length = 0
    for (const job of [...this.#jobs.values()]) { job.cleanup(); job.reject(this.#dead) }
    this.#jobs.clear()
  }

  /** Workers start on first use, so creating a pool costs nothing. */
  #pick (): Slot {
    if (this.#slots.length < this.size) {
      const w = this.#create()
      const slot: Slot = { w, jobs: 0, keys: new WeakSet() }
      w.addEventListener('message', (e) => { this.#onMessage(slot, (e as MessageEvent<ResticWorkerResponse>).data) })
      const onError = (e: Event): void => {
        e.preventDefault?.()
        const message = (e as ErrorEvent).message
        this.#shutdown(new Error(`a restic worker failed${message !== undefined && message !== '' ? `: ${message}` : ''}`))
      }
      w.addEventListener('error', onError)
      w.addEventListener('messageerror', onError)
      this.#slots.push(slot)
      return slot
    }
    let best = this.#slots[0] as Slot
    for (const s of this.#slots) if (s.jobs < best.jobs) best = s
    return best
  }

  #keyFor (slot: Slot, key: Key): number {
    let id = this.#keyIds.get(key)
    if (id === undefined) { id = this.#nextKey++; this.#keyIds.set(key, id) }
    if (!slot.keys.has(key)) {
      slot.w.postMessage({ type: 'key', keyId: id, material: key.material }, [])
      slot.keys.add(key)
    }
    return id
  }

  #start<T extends EncodedBlob | DecodedBlob> (signal: AbortSignal | undefined, send: (slot: Slot, job: number) => void, isNew?: (id: string) => boolean): Promise<T> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead)
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    const slot = this.#pick()
    const n = this.#nextJob++
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const job = this.#jobs.get(n)
        if (job === undefined) return
        this.#finish(n, job)
        if (this.#dead === undefined) slot.w.postMessage({ type: 'drop', job: n }, [])
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#jobs.set(n, {
        worker: slot,
        resolve: resolve as (v: EncodedBlob | DecodedBlob) => void,
        reject,
        isNew,
        cleanup: () => { signal?.removeEventListener('abort', onAbort) }
      })
      slot.jobs++
      try { send(slot, n) } catch (err) {
        const job = this.#jobs.get(n)
        if (job !== undefined) this.#finish(n, job)
        reject(err)
      }
    })
  }

  #finish (n: number, job: Job): void {
    this.#jobs.delete(n)
    job.worker.jobs--
    job.cleanup()
  }

  async encode (key: Key, req: EncodeRequest): Promise<EncodedBlob> {
    return await this.#start<EncodedBlob>(req.signal, (slot, job) => {
      const keyId = this.#keyFor(slot, key)
      const plain = ownBuffer(req.plain)
      slot.w.postMessage({ type: 'encode', job, keyId, plain, compress: req.compress, max: req.max }, [plain.buffer])
    }, req.isNew)
  }

  async decode (key: Key, req: DecodeRequest): Promise<DecodedBlob> {
    return await this.#start<DecodedBlob>(req.signal, (slot, job) => {
      const keyId = this.#keyFor(slot, key)
      const sealed = ownBuffer(req.sealed)
      slot.w.postMessage({ type: 'decode', job, keyId, sealed, uncompressedLength: req.uncompressedLength, id: req.id }, [sealed.buffer])
    })
  }

  #onMessage (slot: Slot, msg: ResticWorkerResponse): void {
    const job = this.#jobs.get(msg.job)
    if (job === undefined) return // dropped (aborted) or the pool closed
    switch (msg.type) {
      case 'id': {
        let store: boolean
        try {
          store = job.isNew?.(msg.id) ?? false
        } catch (err) {
          slot.w.postMessage({ type: 'decide', job: msg.job, store: false }, [])
          this.#finish(msg.job, job)
          job.reject(err)
          return
        }
        job.id = msg.id
        slot.w.postMessage({ type: 'decide', job: msg.job, store }, [])
        if (!store) { this.#finish(msg.job, job); job.resolve({ id: msg.id }) }
        return
      }
      case 'encoded':
        this.#finish(msg.job, job)
        job.resolve({ id: job.id as string, sealed: msg.sealed, uncompressedLength: msg.uncompressedLength })
        return
      case 'decoded':
        this.#finish(msg.job, job)
        job.resolve(msg.result)
        return
      case 'error':
        this.#finish(msg.job, job)
        job.reject(toError(msg.error))
    }
  }
}
