/**
 * Puts into the IndexedDB blockstore in batches: blockstore-idb opens one transaction per block,
 * and the transaction overhead, not the bytes, is what limits an add. Puts that arrive together
 * are written in one transaction (at most `maxBatch` blocks); each put resolves when its
 * transaction commits, so the importer still waits for durable writes.
 */
import { openDB } from 'idb'
import { base32upper } from 'multiformats/bases/base32'
import type { IDBPDatabase } from 'idb'
import type { CID } from 'multiformats/cid'
import type { AbortOptions } from '../core/options.js'

interface Pending { key: string, bytes: Uint8Array, resolve: () => void, reject: (err: unknown) => void }

export class BatchedIdbWriter {
  private pending: Pending[] = []
  private scheduled = false

  private constructor (private readonly db: IDBPDatabase, private readonly storeName: string, private readonly maxBatch: number) {}

  /** Open the database blockstore-idb uses for `name` (same version, same object store). */
  static async open (name: string, maxBatch = 32): Promise<BatchedIdbWriter> {
    const db = await openDB(name, 1, { upgrade (d) { d.createObjectStore(name) } })
    return new BatchedIdbWriter(db, name, maxBatch)
  }

  /** The key blockstore-idb uses: `/` + base32upper(multihash). */
  private keyOf (cid: CID): string {
    return `/${base32upper.encoder.encode(cid.multihash.bytes)}`
  }

  async put (cid: CID, bytes: Uint8Array, options: AbortOptions = {}): Promise<CID> {
    options.signal?.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ key: this.keyOf(cid), bytes, resolve, reject })
      if (this.pending.length >= this.maxBatch) this.flush()
      else if (!this.scheduled) {
        this.scheduled = true
        setTimeout(() => { this.flush() }, 0)
      }
    })
    return cid
  }

  private flush (): void {
    this.scheduled = false
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    const tx = this.db.transaction(this.storeName, 'readwrite')
    const os = tx.objectStore(this.storeName)
    for (const p of batch) void os.put(p.bytes, p.key).catch(() => {})
    tx.done.then(() => { for (const p of batch) p.resolve() }, (err: unknown) => { for (const p of batch) p.reject(err) })
  }
}
