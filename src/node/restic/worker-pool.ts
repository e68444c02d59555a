/**
 * The restic `BlobPool` on Node worker threads: the same pool and per-blob worker code as the
 * page's Web Workers (`src/workers/restic-pool.ts`, `restic-worker-core.ts`), so hashing, zstd
 * and sealing of blobs (and the reverse on restore) run on every core.
 *
 *   const pool = createNodeResticPool()
 *   try { await backup(repo, source, { pool }) } finally { pool.close() }
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { TransferListItem } from 'node:worker_threads'
import { createResticPool } from '../../workers/restic-pool.js'
import type { ResticPool, WorkerLike } from '../../workers/restic-pool.js'

export interface NodeResticPoolOptions {
  /** Number of threads (default: `os.availableParallelism()`). */
  size?: number | undefined
  /** Aborting closes the pool. */
  signal?: AbortSignal | undefined
}

export function createNodeResticPool (options: NodeResticPoolOptions = {}): ResticPool {
  return createResticPool({ size: options.size ?? availableParallelism(), signal: options.signal, createWorker: nodeWorker })
}

/** A worker thread behind the `WorkerLike` face the pool expects. */
function nodeWorker (): WorkerLike {
  // The entry registers tsx in the thread, then loads restic-worker-thread.ts.
  const w = new Worker(new URL('./restic-worker-thread.mjs', import.meta.url))
  return {
    postMessage: (msg, transfer) => { w.postMessage(msg, transfer as unknown as TransferListItem[]) },
    addEventListener: (type, listener) => {
      if (type === 'message') w.on('message', (data: unknown) => { listener({ data } as unknown as Event) })
      else if (type === 'messageerror') w.on('messageerror', (err: Error) => { listener({ message: err.message } as unknown as Event) })
      else w.on('error', (err: Error) => { listener({ message: err.message } as unknown as Event) })
    },
    terminate: () => { void w.terminate() }
  }
}
