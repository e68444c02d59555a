/**
 * The restic worker pool, with workers stood in by the real worker code run on this thread
 * (messages cloned, buffers transferred, delivered in order after random delays, so jobs on
 * different workers finish out of order).
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MemoryBackend, MemorySink, MemorySource, Repository, backup, check, findSnapshot, loadTree, restore } from '../../../src/restic/index.js'
import type { MemoryTree } from '../../../src/restic/index.js'
import { createResticPool } from '../../../src/workers/restic-pool.js'
import type { WorkerLike } from '../../../src/workers/restic-pool.js'
import { createResticWorkerHandler } from '../../../src/workers/restic-worker-core.js'
import type { ResticWorkerRequest } from '../../../src/workers/restic-protocol.js'
import { prng } from '../../interop/restic/helpers.js'

const FAST = { N: 1024, r: 8, p: 1 }
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const MiB = 1024 * 1024

interface FakeOptions {
  /** Largest random delay (ms) before a worker sees a message and before its reply arrives. */
  jitter?: number
  /** Replace the worker's handling of a request (to inject failures). */
  intercept?: (msg: ResticWorkerRequest, worker: FakeWorker) => boolean
}

/** A stand-in Worker: runs `restic-worker-core` on this thread, cloning and transferring like postMessage. */
class FakeWorker implements WorkerLike {
  terminated = false
  readonly listeners = new Map<string, Array<(e: Event) => void>>()
  readonly #handle: (msg: ResticWorkerRequest) => void
  readonly #jitter: number
  readonly #intercept: FakeOptions['intercept']

  constructor (opts: FakeOptions) {
    this.#jitter = opts.jitter ?? 0
    this.#intercept = opts.intercept
    this.#handle = createResticWorkerHandler((msg, transfer) => {
      const copy = structuredClone(msg, { transfer: transfer ?? [] })
      this.#later(() => { this.dispatch('message', { data: copy } as unknown as Event) }, 'out')
    })
  }

  #in: Promise<void> = Promise.resolve()
  #out: Promise<void> = Promise.resolve()

  /** Deliver after a random delay, in order (like a real message port). */
  #later (f: () => void, dir: 'in' | 'out' = 'in'): void {
    const next = (dir === 'in' ? this.#in : this.#out)
      .then(async () => { await new Promise(resolve => setTimeout(resolve, Math.floor(Math.random() * this.#jitter))) })
      .then(() => { if (!this.terminated) f() })
    if (dir === 'in') this.#in = next
    else this.#out = next
  }

  dispatch (type: string, e: Event): void {
    for (const l of this.listeners.get(type) ?? []) l(e)
  }

  postMessage (msg: ResticWorkerRequest, transfer: Transferable[]): void {
    if (this.terminated) return
    const copy = structuredClone(msg, { transfer: transfer as Transferable[] as never })
    this.#later(() => {
      if (this.#intercept?.(copy, this) === true) return
      this.#handle(copy)
    })
  }

  addEventListener (type: 'message' | 'error' | 'messageerror', listener: (e: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }

  terminate (): void { this.terminated = true }
}

function fakes (opts: FakeOptions = {}): { created: FakeWorker[], createWorker: () => WorkerLike } {
  const created: FakeWorker[] = []
  return { created, createWorker: () => { const w = new FakeWorker(opts); created.push(w); return w } }
}

async function newRepo (): Promise<{ backend: MemoryBackend, repo: Repository }> {
  const backend = new MemoryBackend()
  return { backend, repo: await Repository.init(backend, { password: 'pw', scrypt: FAST }) }
}

function tree (): MemoryTree {
  const big = prng('pool-big', 12 * MiB)
  return {
    'a.txt': new TextEncoder().encode('alpha\n'),
    big,
    'big-copy': big.slice(), // deduplicated while the first copy is still in flight
    dir: { 'b.txt': new TextEncoder().encode('beta\n'), empty: new Uint8Array(0), more: prng('pool-more', 3 * MiB) }
  }
}

async function restoreAll (repo: Repository, pool?: ReturnType<typeof createResticPool>): Promise<Map<string, string>> {
  const sink = new MemorySink()
  await restore(repo, await findSnapshot(repo, 'latest'), sink, { pool })
  return new Map([...sink.entries].filter(([, v]) => v.data !== undefined).map(([k, v]) => [k, sha(v.data as Uint8Array)]))
}

describe('restic worker pool', () => {
  it('backs up with blobs in file order (same content lists as without a pool) and restores through the pool', async () => {
    const { backend, repo } = await newRepo()
    const { createWorker, created } = fakes({ jitter: 15 })
    const pool = createResticPool({ size: 3, createWorker })
    const s = await backup(repo, new MemorySource(tree()), { hostname: 'h', pool })
    expect(created.length).toBe(3)
    // The reference: the same tree backed up on this thread, into another repository with the same polynomial.
    const other = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: FAST, chunkerPolynomial: repo.config.chunker_polynomial })
    const ref = await backup(other, new MemorySource(tree()), { hostname: 'h' })
    const nodes = async (r: Repository, t: string): Promise<unknown> => (await loadTree(r, t)).nodes.map(n => [n.name, n.content, n.size])
    expect(await nodes(repo, s.tree)).toEqual(await nodes(other, ref.tree))
    expect(s.tree).toBe(ref.tree)
    expect(s.dataBlobs).toBe(ref.dataBlobs)

    const r = await Repository.open(backend, { password: 'pw' })
    expect((await check(r, { readData: true })).errors).toEqual([])
    const t = tree()
    const restored = await restoreAll(r, pool)
    expect(restored.get('big')).toBe(sha(t.big as Uint8Array))
    expect(restored.get('big-copy')).toBe(sha(t.big as Uint8Array))
    expect(restored.get('dir/more')).toBe(sha((t.dir as MemoryTree).more as Uint8Array))
    pool.close()
    expect(created.every(w => w.terminated)).toBe(true)
  })

  it('keeps at most 4× its size blobs in flight', async () => {
    const { repo } = await newRepo()
    let peak = 0
    const holder: { pool?: ReturnType<typeof createResticPool> } = {}
    const { createWorker } = fakes({
      jitter: 20,
      intercept: () => { peak = Math.max(peak, holder.pool?.pending ?? 0); return false }
    })
    const pool = holder.pool = createResticPool({ size: 2, createWorker })
    await backup(repo, new MemorySource({ f: prng('pool-flight', 40 * MiB) }), { hostname: 'h', pool })
    expect(peak).toBeGreaterThan(1)
    expect(peak).toBeGreaterThan(2)
    expect(peak).toBeLessThanOrEqual(8)
    pool.close()
  })

  it('aborting the pool signal stops the backup, terminates the workers and releases the lock', async () => {
    const { backend, repo } = await newRepo()
    const controller = new AbortController()
    const { createWorker, created } = fakes({ jitter: 5 })
    const pool = createResticPool({ size: 2, signal: controller.signal, createWorker })
    let blobs = 0
    const err = await backup(repo, new MemorySource({ f: prng('pool-abort', 30 * MiB) }), {
      hostname: 'h',
      pool,
      onProgress: e => { if (e.type === 'restic:backup:blob' && ++blobs === 3) controller.abort(new DOMException('stop', 'AbortError')) }
    }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('AbortError')
    expect(created.length).toBe(2)
    expect(created.every(w => w.terminated)).toBe(true)
    expect(pool.pending).toBe(0)
    expect(await backend.list('locks')).toEqual([])
    expect(await backend.list('snapshots')).toEqual([])
    await expect(pool.encode(repo.key, { plain: new Uint8Array(1), compress: true, isNew: () => true })).rejects.toThrow('stop')
  })

  it('aborting the backup leaves the pool usable', async () => {
    const { backend, repo } = await newRepo()
    const controller = new AbortController()
    const { createWorker, created } = fakes({ jitter: 5 })
    const pool = createResticPool({ size: 2, createWorker })
    const err = await backup(repo, new MemorySource({ f: prng('pool-abort2', 20 * MiB) }), {
      hostname: 'h',
      pool,
      signal: controller.signal,
      onProgress: e => { if (e.type === 'restic:backup:blob') controller.abort(new DOMException('stop', 'AbortError')) }
    }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('AbortError')
    expect(pool.pending).toBe(0)
    expect(created.some(w => w.terminated)).toBe(false)
    expect(await backend.list('locks')).toEqual([])
    await backup(repo, new MemorySource({ g: prng('pool-after', 2 * MiB) }), { hostname: 'h', pool })
    expect((await backend.list('snapshots')).length).toBe(1)
    pool.close()
  })

  it('a failure in a worker fails the backup with that error, and the lock is released', async () => {
    const { backend, repo } = await newRepo()
    let n = 0
    const { createWorker } = fakes({
      jitter: 5,
      intercept: (msg, w) => {
        if (msg.type !== 'encode' || ++n !== 4) return false
        w.dispatch('message', { data: { type: 'error', job: msg.job, error: { name: 'RangeError', message: 'zstd: out of memory' } } } as unknown as Event)
        return true
      }
    })
    const pool = createResticPool({ size: 2, createWorker })
    const err = await backup(repo, new MemorySource({ f: prng('pool-err', 20 * MiB) }), { hostname: 'h', pool }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('RangeError')
    expect((err as Error).message).toBe('zstd: out of memory')
    expect(await backend.list('locks')).toEqual([])
    expect(await backend.list('snapshots')).toEqual([])
    pool.close()
  })

  it('a worker that dies (error event) fails pending and later work', async () => {
    const { repo } = await newRepo()
    const { createWorker, created } = fakes({
      intercept: (msg, w) => {
        if (msg.type !== 'encode') return false
        w.dispatch('error', Object.assign(new Event('error'), { message: 'script failed to load' }))
        return true
      }
    })
    const pool = createResticPool({ size: 1, createWorker })
    const err = await backup(repo, new MemorySource({ f: prng('pool-dead', 2 * MiB) }), { hostname: 'h', pool }).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/restic worker failed: script failed to load/)
    expect(created[0]?.terminated).toBe(true)
    await expect(pool.decode(repo.key, { sealed: new Uint8Array(40), id: '00' })).rejects.toThrow(/restic worker failed/)
  })

  it('reports damaged blobs through the pool like on the calling thread', async () => {
    const { backend, repo } = await newRepo()
    await backup(repo, new MemorySource({ f: prng('pool-damage', 1 * MiB) }), { hostname: 'h' })
    for (const [path, bytes] of backend.files) if (path.startsWith('data/')) bytes[20] = (bytes[20] as number) ^ 1
    const { createWorker } = fakes()
    const pool = createResticPool({ size: 2, createWorker })
    const r = await Repository.open(backend, { password: 'pw' })
    await expect(restore(r, await findSnapshot(r, 'latest'), new MemorySink(), { pool })).rejects.toThrow(/failed authentication \(MAC mismatch\)/)
    pool.close()
  })

  it('falls back to the calling thread where there are no Web Workers (Node)', async () => {
    const { backend, repo } = await newRepo()
    const pool = createResticPool({ size: 2 })
    expect(pool.workers).toBe(false)
    await backup(repo, new MemorySource({ f: prng('pool-node', 3 * MiB) }), { hostname: 'h', pool })
    const restored = await restoreAll(await Repository.open(backend, { password: 'pw' }), pool)
    expect(restored.get('f')).toBe(sha(prng('pool-node', 3 * MiB)))
    pool.close()
    await expect(pool.encode(repo.key, { plain: new Uint8Array(1), compress: true, isNew: () => true })).rejects.toThrow(/closed/)
  })
})
