/**
 * Add throughput in Chromium, through the app's real path (worker import into the IndexedDB
 * blockstore, then pin), as a ratio to the limit measured in the same page: raw IndexedDB batched
 * puts plus WebCrypto SHA-256 over the same bytes. Also the peak JS heap while adding 64, 256 and
 * 1024 MiB, which should stay flat.
 *
 * The machine may be noisy: `CAIRN_BENCH_REPEAT=n` measures each throughput case n times
 * (limit and add interleaved) and reports medians with the samples; `CAIRN_BENCH_FILES=v1,v0`
 * runs only some cases (`v1`, `v0`, `small`, `heap`).
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { chromium } from 'playwright-core'
import { startLocalNetwork } from '../../src/node/network/index.js'
import { startStaticServer } from '../../src/node/serve/static-server.js'
import { chromiumLaunchOptions } from '../../playwright/browser.js'
import { median } from '../suite.js'
import type { BenchSuite } from '../suite.js'
import type { Page } from 'playwright-core'

const MiB = 1024 * 1024

/** Build `mib` MiB of pseudo-random bytes as a Blob in the page (outside the JS heap). */
async function makeFile (page: Page, mib: number): Promise<void> {
  await page.evaluate(async (n) => {
    const parts: Blob[] = []
    const chunk = new Uint8Array(1024 * 1024)
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < chunk.length; o += 65536) crypto.getRandomValues(chunk.subarray(o, o + 65536))
      parts.push(new Blob([chunk]))
    }
    (globalThis as unknown as { benchFile: File }).benchFile = new File(parts, 'bench.bin')
  }, mib)
}

/** The limit: SHA-256 (WebCrypto) of each chunk + raw IndexedDB puts, 16 per transaction. */
async function limit (page: Page, chunkSize: number): Promise<number> {
  return page.evaluate(async (size) => {
    const file = (globalThis as unknown as { benchFile: File }).benchFile
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('bench/limit', 1)
      r.onupgradeneeded = () => { r.result.createObjectStore('b') }
      r.onsuccess = () => { resolve(r.result) }
      r.onerror = () => { reject(r.error) }
    })
    const t0 = performance.now()
    let batch: Array<[string, Uint8Array]> = []
    const flush = async (): Promise<void> => {
      const tx = db.transaction('b', 'readwrite')
      for (const [k, v] of batch) tx.objectStore('b').put(v, k)
      batch = []
      await new Promise<void>((resolve, reject) => { tx.oncomplete = () => { resolve() }; tx.onerror = () => { reject(tx.error) } })
    }
    for (let o = 0; o < file.size; o += size) {
      const bytes = new Uint8Array(await file.slice(o, o + size).arrayBuffer())
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
      batch.push([Array.from(digest.subarray(0, 16), b => b.toString(16).padStart(2, '0')).join(''), bytes])
      if (batch.length === 16) await flush()
    }
    if (batch.length > 0) await flush()
    const ms = performance.now() - t0
    db.close()
    await new Promise(resolve => { const r = indexedDB.deleteDatabase('bench/limit'); r.onsuccess = resolve; r.onerror = resolve })
    return (file.size / 1024 / 1024) / (ms / 1000)
  }, chunkSize)
}

/** Add through the app; returns MiB/s and the peak JS heap seen while adding. */
async function appAdd (page: Page, profile: string, files: 'one' | 'small'): Promise<{ mibPerS: number, peakHeapMiB: number, baseHeapMiB: number, roots: string[] }> {
  return page.evaluate(async ({ profile, files }) => {
    const app = globalThis.cairn!
    const mem = (): number => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0
    const base = mem()
    let peak = base
    const timer = setInterval(() => { peak = Math.max(peak, mem()) }, 20)
    let entries: Array<{ path: string, file: File }>
    let total: number
    if (files === 'one') {
      const f = (globalThis as unknown as { benchFile: File }).benchFile
      entries = [{ path: `bench-${Math.random()}.bin`, file: f }]
      total = f.size
    } else {
      entries = []
      const buf = new Uint8Array(4096)
      for (let i = 0; i < 10_000; i++) {
        crypto.getRandomValues(buf)
        entries.push({ path: `small-${Math.random()}/f${i}.bin`.replace(/small-[^/]+/, 'small'), file: new File([buf], `f${i}.bin`) })
      }
      total = 10_000 * 4096
    }
    const t0 = performance.now()
    const roots = await app.files.add(entries, { profile })
    const ms = performance.now() - t0
    clearInterval(timer)
    peak = Math.max(peak, mem())
    return { mibPerS: (total / 1024 / 1024) / (ms / 1000), peakHeapMiB: peak / 1024 / 1024, baseHeapMiB: base / 1024 / 1024, roots: roots.map(r => r.cid) }
  }, { profile, files })
}

const suite: BenchSuite = {
  name: 'files',
  async run ({ root, quick, log }) {
    execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' })
    const network = await startLocalNetwork({})
    const site = await startStaticServer({ root: join(root, 'dist'), localInfo: network.info })
    const opts = chromiumLaunchOptions()
    // A real (persistent) profile: incognito contexts keep IndexedDB in memory and hit a quota
    // error near 1 GiB, whatever navigator.storage.estimate() says.
    const profileDir = await mkdtemp(join(tmpdir(), 'cairn-bench-profile-'))
    const context = await chromium.launchPersistentContext(profileDir, { ...opts, args: [...(opts.args ?? []), '--enable-precise-memory-info', '--js-flags=--expose-gc'] })
    const results: Record<string, unknown> = {}
    try {
      // tsx (esbuild, keepNames) wraps named functions in __name(); the page needs it defined.
      await context.addInitScript({ content: 'globalThis.__name = (f) => f' })
      const page = await context.newPage()
      await page.goto(site.url)
      await page.waitForFunction(() => globalThis.cairn?.node.state.get().status === 'online', undefined, { timeout: 60_000 })
      const repeat = Math.max(1, Number(process.env.CAIRN_BENCH_REPEAT ?? 1) || 1)
      const cases = new Set((process.env.CAIRN_BENCH_FILES ?? 'v1,v0,small,heap').split(',').map(c => c.trim()))
      /** Limit and add, `repeat` times interleaved; each add is unpinned and collected after. */
      const measure = async (chunk: number, profile: string, files: 'one' | 'small'): Promise<{ add: number[], limit: number[] }> => {
        const add: number[] = []
        const lim: number[] = []
        for (let i = 0; i < repeat; i++) {
          lim.push(await limit(page, chunk))
          const r = await appAdd(page, profile, files)
          add.push(r.mibPerS)
          await page.evaluate(async (roots) => {
            for (const cid of roots) await globalThis.cairn!.files.unpin(cid)
            await globalThis.cairn!.files.gc()
          }, r.roots)
        }
        return { add, limit: lim }
      }
      const report = (m: { add: number[], limit: number[] }, digits: number): Record<string, unknown> => {
        const add = median(m.add)
        const lim = median(m.limit)
        return {
          addMiBPerS: +add.toFixed(digits),
          limitMiBPerS: +lim.toFixed(digits),
          ratio: +(add / lim).toFixed(2),
          goal: 0.7,
          ...(repeat > 1 ? { samples: { add: m.add.map(v => +v.toFixed(digits)), limit: m.limit.map(v => +v.toFixed(digits)) } } : {})
        }
      }
      const big = quick ? 64 : 256
      if (cases.has('v1') || cases.has('v0')) {
        log(`  ${big} MiB file…`)
        await makeFile(page, big)
      }
      for (const [key, profile] of [['v1', 'unixfs-v1-2025'], ['v0', 'unixfs-v0-2015']] as const) {
        if (!cases.has(key)) continue
        const chunk = profile === 'unixfs-v1-2025' ? MiB : 256 * 1024
        results[`file${big}MiB_${profile}`] = report(await measure(chunk, profile, 'one'), 1)
      }
      if (cases.has('small')) {
        log('  10,000 small files…')
        await makeFile(page, 40)
        const m = await measure(4096, 'unixfs-v1-2025', 'small')
        results.smallFiles10k = { ...report(m, 2), filesPerS: Math.round(median(m.add) * 256) }
      }

      const heap: Record<string, unknown> = {}
      for (const mib of !cases.has('heap') ? [] : quick ? [64, 256] : [64, 256, 1024]) {
        log(`  heap while adding ${mib} MiB…`)
        await makeFile(page, mib)
        const r = await appAdd(page, 'unixfs-v1-2025', 'one')
        heap[`${mib}MiB`] = { peakHeapMiB: +r.peakHeapMiB.toFixed(1), growthMiB: +(r.peakHeapMiB - r.baseHeapMiB).toFixed(1) }
        await page.evaluate(async () => { (globalThis as unknown as { benchFile?: File }).benchFile = undefined; await globalThis.cairn!.files.gc() })
      }
      if (cases.has('heap')) results.peakHeap = heap
    } finally {
      await context.close()
      await rm(profileDir, { recursive: true, force: true, maxRetries: 5 })
      await site.close()
      await network.stop()
    }
    return results
  }
}

export default suite
