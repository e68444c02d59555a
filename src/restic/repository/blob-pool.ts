/**
 * The per-blob heavy work of backup and restore, behind a small interface so it can run on several
 * threads: hash → (if new) compress → encrypt + MAC, and the reverse. `InThreadBlobPool` does it on
 * the calling thread; `src/workers/restic-pool.ts` spreads it over Web Workers.
 *
 * Callers keep at most `inFlightLimit(pool)` blobs in flight (see `InFlight`), so memory stays
 * bounded whatever the input size.
 */
import type { Key } from '../crypto/key.js'
import { sha256Hex } from '../util/bytes.js'
import { MAX_LEVEL, compress, decompress, storedFrame, worthCompressing } from '../util/zstd.js'

export interface EncodeRequest {
  /** The plaintext blob. A pool may take it over (transfer it to a worker): do not reuse it. */
  plain: Uint8Array
  /**
   * zstd-compress before sealing (version 2 repositories, non-empty blobs), unless samples of the
   * blob show it incompressible (`worthCompressing`): those get a zstd frame of raw blocks.
   */
  compress: boolean
  /** With `compress`: the strongest zstd level, on every blob (`--compression max`). */
  max?: boolean | undefined
  /**
   * Called once with the blob ID (SHA-256 of `plain`) before any compression or encryption; return
   * false when the repository has the blob already, and nothing more is done.
   */
  isNew: (id: string) => boolean
  signal?: AbortSignal | undefined
}

export interface EncodedBlob {
  id: string
  /** Absent when `isNew` returned false. */
  sealed?: Uint8Array | undefined
  /** The plaintext length when the blob was compressed. */
  uncompressedLength?: number | undefined
}

export interface DecodeRequest {
  /** nonce ‖ ciphertext ‖ MAC. A pool may take it over. */
  sealed: Uint8Array
  /** Set for compressed blobs. */
  uncompressedLength?: number | undefined
  /** The expected blob ID (SHA-256 of the plaintext). */
  id: string
  signal?: AbortSignal | undefined
}

/** Why a blob did not decode; the repository turns it into a `DamagedFileError` naming the pack. */
export type DecodeProblem = 'mac' | 'decompress' | 'id'

export type DecodedBlob = { plain: Uint8Array } | { problem: DecodeProblem, message: string }

export interface BlobPool {
  /** How many blobs it works on at once (threads). */
  readonly size: number
  encode: (key: Key, req: EncodeRequest) => Promise<EncodedBlob>
  decode: (key: Key, req: DecodeRequest) => Promise<DecodedBlob>
  /** Stop the threads; pending and later calls reject. */
  close: () => void
}

/**
 * At most this many blobs in flight per pool: 4 per thread. A worker holds a blob while its ID goes
 * to the calling thread and the answer (new or not) comes back, and that thread is busy reading and
 * chunking; with only 2 per worker both often wait for an answer (measured in Chromium on 2 cores:
 * 4 per worker is ~20% faster). Blobs average 1 MiB (8 MiB at most).
 */
export function inFlightLimit (pool: BlobPool): number {
  return Math.max(2, 4 * pool.size)
}

/** The work of one blob, on the calling thread. Workers run the same functions. */
export async function encodeBlobWith (key: Key, plain: Uint8Array, doCompress: boolean, isNew: (id: string) => boolean | Promise<boolean>, max = false): Promise<EncodedBlob> {
  const id = await sha256Hex(plain)
  if (!await isNew(id)) return { id }
  if (!doCompress || plain.length === 0) return { id, sealed: await key.seal(plain) }
  const frame = max ? await compress(plain, MAX_LEVEL) : await worthCompressing(plain) ? await compress(plain) : storedFrame(plain)
  return { id, sealed: await key.seal(frame), uncompressedLength: plain.length }
}

export async function decodeBlobWith (key: Key, req: Omit<DecodeRequest, 'signal'>): Promise<DecodedBlob> {
  let plain: Uint8Array
  try {
    plain = await key.open(req.sealed)
  } catch (err) {
    return { problem: 'mac', message: (err as Error).message }
  }
  if (req.uncompressedLength !== undefined) {
    try {
      plain = await decompress(plain, req.uncompressedLength)
    } catch (err) {
      return { problem: 'decompress', message: (err as Error).message }
    }
  }
  if (await sha256Hex(plain) !== req.id) return { problem: 'id', message: 'the blob does not match its ID' }
  return { plain }
}

/** The fallback: every blob on the calling thread (Node CLI, tests, pages without workers). */
export class InThreadBlobPool implements BlobPool {
  readonly size: number
  #closed = false

  constructor (size = 1) { this.size = size }

  async encode (key: Key, req: EncodeRequest): Promise<EncodedBlob> {
    this.#check(req.signal)
    return await encodeBlobWith(key, req.plain, req.compress, id => { this.#check(req.signal); return req.isNew(id) }, req.max === true)
  }

  async decode (key: Key, req: DecodeRequest): Promise<DecodedBlob> {
    this.#check(req.signal)
    return await decodeBlobWith(key, req)
  }

  close (): void { this.#closed = true }

  #check (signal: AbortSignal | undefined): void {
    signal?.throwIfAborted()
    if (this.#closed) throw new PoolClosedError()
  }
}

/** The pool was closed (or its signal aborted) while work was pending. */
export class PoolClosedError extends Error {
  constructor (message = 'the restic worker pool is closed') { super(message); this.name = 'PoolClosedError' }
}

/**
 * Bounds the work in flight: `room` waits while `limit` tasks are pending, and once any task failed
 * it throws that error instead of starting more. `settle` waits for everything started.
 */
export class InFlight {
  readonly limit: number
  readonly #active = new Set<Promise<unknown>>()
  #error: { err: unknown } | undefined
  /** Highest number of tasks pending at once (for tests and benchmarks). */
  peak = 0

  constructor (limit: number) { this.limit = Math.max(1, limit) }

  get size (): number { return this.#active.size }
  get failed (): boolean { return this.#error !== undefined }

  /** Wait until fewer than `limit` tasks are pending; throws the first failure instead. */
  async room (): Promise<void> {
    while (this.#active.size >= this.limit && this.#error === undefined) await Promise.race(this.#active)
    this.check()
  }

  /** Track a started task; returns it, marked handled (its failure is also kept for `room` and `check`). */
  add<T> (p: Promise<T>): Promise<T> {
    const tracked: Promise<void> = p.then(() => { this.#active.delete(tracked) }, (err: unknown) => { this.#error ??= { err }; this.#active.delete(tracked) })
    this.#active.add(tracked)
    this.peak = Math.max(this.peak, this.#active.size)
    p.catch(() => {})
    return p
  }

  /** Throw the first failure, if any. */
  check (): void {
    if (this.#error !== undefined) throw this.#error.err
  }

  /** Wait until every started task has finished (whatever the outcome). */
  async settle (): Promise<void> {
    while (this.#active.size > 0) await Promise.allSettled([...this.#active])
  }
}
