/** A restic worker thread for `worker-pool.ts`: the page worker's message handling on `parentPort`. */
import { parentPort } from 'node:worker_threads'
import type { TransferListItem } from 'node:worker_threads'
import { createResticWorkerHandler } from '../../workers/restic-worker-core.js'
import type { ResticWorkerRequest } from '../../workers/restic-protocol.js'

const port = parentPort
if (port === null) throw new Error('restic-worker-thread.ts runs as a worker thread of worker-pool.ts')
const handle = createResticWorkerHandler((msg, transfer) => { port.postMessage(msg, (transfer ?? []) as unknown as TransferListItem[]) })
port.on('message', (msg: ResticWorkerRequest) => { handle(msg) })
