/**
 * A restic worker: hashes, compresses and seals blobs for backup, and opens them for restore, for
 * `restic-pool.ts`. The master key arrives once, in a `key` message.
 */
import { createResticWorkerHandler } from './restic-worker-core.js'
import type { ResticWorkerRequest, ResticWorkerResponse } from './restic-protocol.js'

const scope = globalThis as unknown as { postMessage: (m: ResticWorkerResponse, transfer: Transferable[]) => void }
const handle = createResticWorkerHandler((msg, transfer) => { scope.postMessage(msg, transfer ?? []) })

addEventListener('message', (e: MessageEvent<ResticWorkerRequest>) => { handle(e.data) })
