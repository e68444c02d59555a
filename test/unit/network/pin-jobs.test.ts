/**
 * Pin requests whose block wants go unanswered: the request is made again every `blockRetryMs`
 * until `blockTimeoutMs`, so one lost want does not fail (or stall) a pin.
 */
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'
import { describe, expect, it } from 'vitest'
import { PinJobs } from '../../../src/node/network/pin-jobs.js'
import { rawBlock } from './helpers.js'
import type { PinJob } from '../../../src/node/network/pin-jobs.js'
import type { CID } from 'multiformats/cid'

/** A Helia whose first `hangs` gets of `cid` never answer: each ends only when its signal aborts. */
async function hangingHelia (cid: CID, hangs: number): Promise<{ helia: ConstructorParameters<typeof PinJobs>[0]['helia'], gets: () => number, stop: () => Promise<void> }> {
  const helia = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() })
  await helia.start()
  let left = hangs
  let gets = 0
  const store = helia.blockstore
  const blockstore = new Proxy(store, {
    get (target, prop) {
      if (prop === 'get') {
        return (c: CID, o: { signal?: AbortSignal } = {}) => {
          if (!c.equals(cid)) return target.get(c, o)
          gets++
          if (left === 0) return target.get(c, o)
          left--
          return (async function * () {
            await new Promise((_resolve, reject) => { o.signal?.addEventListener('abort', () => { reject(o.signal?.reason) }, { once: true }) })
            yield new Uint8Array()
          })()
        }
      }
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v
    }
  })
  return {
    helia: { blockstore, pins: helia.pins, libp2p: { dial: async () => { throw new Error('no network in this test') }, getConnections: () => [] } },
    gets: () => gets,
    stop: async () => { await helia.stop() }
  }
}

async function settled (jobs: PinJobs, job: PinJob): Promise<PinJob> {
  return await new Promise((resolve) => {
    const check = (j: PinJob): void => { if (j.status === 'pinned' || j.status === 'failed') resolve(j) }
    jobs.subscribe(job.requestid, check)
    check(jobs.get(job.requestid) ?? job)
  })
}

describe('pin requests with unanswered wants', () => {
  it('asks again after blockRetryMs and pins once the block comes', async () => {
    const { cid, bytes } = await rawBlock('a block whose first want is lost')
    const h = await hangingHelia(cid, 2)
    try {
      await h.helia.blockstore.put(cid, bytes)
      const jobs = new PinJobs({ helia: h.helia, blockTimeoutMs: 5000, blockRetryMs: 200 })
      const done = await settled(jobs, jobs.add({ cid }))
      expect(done.status).toBe('pinned')
      expect(h.gets()).toBe(3)
      jobs.stop()
    } finally {
      await h.stop()
    }
  })

  it('fails with the reason once blockTimeoutMs has passed in all', async () => {
    const { cid, bytes } = await rawBlock('a block nobody sends')
    const h = await hangingHelia(cid, 1000)
    try {
      await h.helia.blockstore.put(cid, bytes)
      const jobs = new PinJobs({ helia: h.helia, blockTimeoutMs: 700, blockRetryMs: 200 })
      const done = await settled(jobs, jobs.add({ cid }))
      expect(done.status).toBe('failed')
      expect(done.reason ?? '').toMatch(/No connected peer sent block .* within 1 s/)
      expect(h.gets()).toBeGreaterThanOrEqual(3)
      jobs.stop()
    } finally {
      await h.stop()
    }
  })
})
