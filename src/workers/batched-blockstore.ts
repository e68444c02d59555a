/**
 * Puts into the IndexedDB blockstore in batches, written behind the importer.
 *
 * blockstore-idb opens one transaction per block, and the transaction overhead, not the bytes, is
 * what limits an add. Here a put resolves as soon as its block is queued, so reading and hashing
 * the next blocks overlaps the commit of the previous ones, and the queue is written as one
 * transaction whenever the previous one has committed (group commit: the slower the commits, the
 * bigger the batches; at most `maxBatch` blocks or `maxBatchBytes` each). Memory stays bounded: a
 * put waits while more than `maxBufferedBytes` are queued or being committed.
 *
 * Durability is the session's `drain()`: it resolves once every block put so far is committed
 * (and rejects with the first write error). The add worker drains before it pins anything, so a
 * root is still pinned only after its whole DAG is stored.
 */
import { openDB } from 'idb'
import { base32upper } from 'multiformats/bases/base32'
import { ownBuffer } from '../core/bytes.js'
import type { IDBPDatabase } from 'idb'
import type { CID } from 'multiformats/cid'
import type { AbortOptions } from '../core/options.js'

export interface WriterLimits {
  /** Transactions committing at once; more puts wait in the queue for the next batch. */
  maxInflight: number
  maxBatch: number
  maxBatchBytes: number
  maxBufferedBytes: number
}

export const DEFAULT_LIMITS: WriterLimits = { maxInflight: 1, maxBatch: 4096, maxBatchBytes: 16 * 1024 * 1024, maxBufferedBytes: 48 * 1024 * 1024 }

/** The key blockstore-idb uses: `/` + base32upper(multihash). */
function keyOf (cid: CID): string {
  return `/${base32upper.encoder.encode(cid.multihash.bytes)}`
}

/** One add's writes: its own queue, its own first error, its own drain. */
export class IdbWriteSession {
  private pending: Array<{ key: string, bytes: Uint8Array }> = []
  private pendingBytes = 0
  private inflightBytes = 0
  private readonly inflight = new Set<Promise<void>>()
  private scheduled = false
  private error: unknown = undefined
  private waiters: Array<() => void> = []

  constructor (private readonly db: IDBPDatabase, private readonly storeName: string, private readonly limits: WriterLimits) {}

  async put (cid: CID, bytes: Uint8Array, options: AbortOptions = {}): Promise<CID> {
    options.signal?.throwIfAborted()
    this.throwIfFailed()
    // Only the block's own bytes: IndexedDB would store a view's whole underlying buffer.
    this.pending.push({ key: keyOf(cid), bytes: ownBuffer(bytes) })
    this.pendingBytes += bytes.byteLength
    if (this.pending.length >= this.limits.maxBatch || this.pendingBytes >= this.limits.maxBatchBytes) {
      this.flush()
    } else if (!this.scheduled && this.inflight.size < this.limits.maxInflight) {
      this.scheduled = true
      setTimeout(() => {
        this.scheduled = false
        // A commit that started meanwhile takes what queued up when it ends.
        if (this.inflight.size < this.limits.maxInflight) this.flush()
      }, 0)
    }
    while (this.error === undefined && this.pendingBytes + this.inflightBytes > this.limits.maxBufferedBytes) {
      await new Promise<void>(resolve => { this.waiters.push(resolve) })
    }
    this.throwIfFailed()
    return cid
  }

  /** Resolves when every block put so far is committed; rejects with the first write error. */
  async drain (): Promise<void> {
    this.flush()
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
    this.throwIfFailed()
  }

  /** Waits for every write in flight to finish, whatever the outcome (after an error or abort). */
  async settle (): Promise<void> {
    this.pending = []
    this.pendingBytes = 0
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
  }

  private throwIfFailed (): void {
    if (this.error !== undefined) throw this.error
  }

  private flush (): void {
    this.scheduled = false
    const batch = this.pending
    if (batch.length === 0) return
    const bytes = this.pendingBytes
    this.pending = []
    this.pendingBytes = 0
    this.inflightBytes += bytes
    let committed: Promise<void>
    try {
      const tx = this.db.transaction(this.storeName, 'readwrite')
      const os = tx.objectStore(this.storeName)
      for (const p of batch) void os.put(p.bytes, p.key).catch(() => {})
      committed = tx.done.catch((err: unknown) => { throw err ?? tx.error ?? new Error('IndexedDB write failed') })
    } catch (err) {
      committed = Promise.reject(err)
    }
    const done: Promise<void> = committed.then(() => {}, (err: unknown) => {
      this.error ??= err
    }).finally(() => {
      this.inflight.delete(done)
      this.inflightBytes -= bytes
      // Group commit: what queued up meanwhile goes in the next transaction.
      if (this.pending.length > 0 && this.error === undefined) this.flush()
      const waiters = this.waiters
      this.waiters = []
      for (const w of waiters) w()
    })
    this.inflight.add(done)
  }
}

export class BatchedIdbWriter {
  private constructor (private readonly db: IDBPDatabase, private readonly storeName: string, private readonly limits: WriterLimits) {}

  /**
   * Open the database blockstore-idb uses for `name` (same version, same object store).
   * `onBlocking` runs (after the connection is closed) when another connection needs to upgrade or
   * delete the database; open a new writer after that.
   */
  static async open (name: string, limits: Partial<WriterLimits> = {}, onBlocking?: () => void): Promise<BatchedIdbWriter> {
    const db: IDBPDatabase = await openDB(name, 1, {
      upgrade (d) { d.createObjectStore(name) },
      blocking () { db.close(); onBlocking?.() }
    })
    return new BatchedIdbWriter(db, name, { ...DEFAULT_LIMITS, ...limits })
  }

  /** A write session for one add. */
  session (): IdbWriteSession {
    return new IdbWriteSession(this.db, this.storeName, this.limits)
  }

  close (): void { this.db.close() }
}
