/**
 * The local network peer's side of `/cairn/pin/1.0.0`: each request becomes a pin job (see
 * `pin-jobs.ts`) whose progress is streamed back; a requester that goes away cancels it. Status
 * queries are answered from the pin jobs, without pinning anything.
 */
import type { PinJob, PinJobs } from './pin-jobs.js'
import type { PeerHeldState, PeerPinStatus, PinRequestHandler, PinStatusHandler } from '../../ipfs/push/peer-pin.js'
import type { CID } from 'multiformats/cid'

/** At most one `pinning` progress message per this many ms (the final status always goes). */
const PROGRESS_INTERVAL_MS = 250

/** CIDv0 and CIDv1 of the same DAG name the same pin. */
function sameMultihash (a: CID, b: CID): boolean {
  const x = a.multihash.bytes
  const y = b.multihash.bytes
  return x.byteLength === y.byteLength && x.every((v, i) => v === y[i])
}

const RANK: Record<PeerHeldState, number> = { pinned: 4, pinning: 3, queued: 2, failed: 1, absent: 0 }

/** What the jobs hold for a CID: the most advanced request for it (pinned if any is). */
export function pinStatusHandler (jobs: PinJobs): PinStatusHandler {
  return async ({ cid }) => {
    let best: PinJob | undefined
    for (const job of jobs.list()) {
      if (sameMultihash(job.cid, cid) && (best === undefined || RANK[job.status] > RANK[best.status])) best = job
    }
    if (best === undefined) return { state: 'absent' }
    return { state: best.status, blocks: best.blocks, ...(best.status === 'failed' && best.reason !== undefined ? { reason: best.reason } : {}) }
  }
}

export function pinRequestHandler (jobs: PinJobs, accepting: () => boolean): PinRequestHandler {
  return Object.assign(pinHandler(jobs, accepting), { status: pinStatusHandler(jobs) })
}

function pinHandler (jobs: PinJobs, accepting: () => boolean): PinRequestHandler {
  return async (request, send, { signal }) => {
    if (!accepting()) {
      send({ status: 'refused', reason: 'This peer does not take pin requests right now (the local network was started with pin requests off). Push to its pinning service instead.' })
      return
    }
    const job = jobs.add({ cid: request.cid, name: request.name, meta: { requester: request.peer.toString(), via: 'libp2p' } })
    await new Promise<void>((resolve) => {
      let last = 0
      let timer: ReturnType<typeof setTimeout> | undefined
      const fetched = (j: PinJob): { fetchedBlocks: number, fetchedBytes: number } => ({ fetchedBlocks: j.fetchedBlocks ?? 0, fetchedBytes: j.fetchedBytes ?? 0 })
      const progress = (j: PinJob): PeerPinStatus => ({ status: 'pinning', blocks: j.blocks, bytes: j.bytes, ...fetched(j) })
      const finish = (): void => {
        unsubscribe()
        if (timer !== undefined) clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const onUpdate = (j: PinJob): void => {
        if (j.status === 'pinned') {
          send({ status: 'pinned', blocks: j.blocks, ...fetched(j) })
          finish()
        } else if (j.status === 'failed') {
          send({ status: 'failed', reason: j.reason ?? 'unknown error' })
          finish()
        } else if (j.status === 'pinning' && timer === undefined) {
          const wait = Math.max(0, last + PROGRESS_INTERVAL_MS - Date.now())
          timer = setTimeout(() => {
            timer = undefined
            last = Date.now()
            const current = jobs.get(j.requestid)
            if (current !== undefined && current.status === 'pinning') send(progress(current))
          }, wait)
        }
      }
      const onAbort = (): void => {
        // the requester closed the stream: nobody is left to serve the blocks
        if (job.status !== 'pinned') void jobs.remove(job.requestid)
        finish()
      }
      const unsubscribe = jobs.subscribe(job.requestid, onUpdate)
      signal.addEventListener('abort', onAbort, { once: true })
      send({ status: 'queued' })
      if (job.status !== 'queued') onUpdate(job)
    })
  }
}
