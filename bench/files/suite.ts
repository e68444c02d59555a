/**
 * Adds in Chromium against stock Helia in the same run: the app (`npm run build`, its add worker
 * into the IndexedDB blockstore, then pin) next to a bench-only page of stock Helia with
 * @helia/unixfs and blockstore-idb (bench/stock/page), each on its own origin in the same browser.
 * Cases: one large random file with Helia's default layout (unixfs-v1-2025) and with Kubo's
 * (unixfs-v0-2015, also the app's default), and many small files in one folder (v1); each add includes pinning its root,
 * and is followed by unpin and GC (timed apart). Ratios are stock time / Cairn time in the same
 * repeat (> 1: Cairn is faster), median and min–max over the repeats; adds alternate which page
 * goes first. Also the bytes each origin stores per add (navigator.storage.estimate(), so about)
 * and the peak JS heap while the app adds growing files, which should stay flat.
 *
 * Sizes (environment): CAIRN_BENCH_FILES_MIB (default 256, 16 with --quick),
 * CAIRN_BENCH_FILES_SMALL_COUNT (10000; 1000 with --quick), CAIRN_BENCH_FILES_SMALL_KIB (4),
 * CAIRN_BENCH_REPEAT (3; 1 with --quick), CAIRN_BENCH_FILES_HEAP_MIB (`64,256,1024`; `16,64` with
 * --quick; empty for none), CAIRN_BENCH_FILES (cases: `v0,v1,small,heap`).
 */
import { join } from 'node:path'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { chromium } from 'playwright-core'
import { startLocalNetwork } from '../../src/node/network/index.js'
import { startStaticServer } from '../../src/node/serve/static-server.js'
import { chromiumLaunchOptions } from '../../playwright/browser.js'
import { buildApp, buildPage } from '../build.js'
import { envNumber, spread } from '../suite.js'
import type { BenchSuite } from '../suite.js'
import type { Page } from 'playwright-core'

const MiB = 1024 * 1024
type Shape = { kind: 'one', mib: number } | { kind: 'small', count: number, kib: number }
interface AddSample { ms: number, unpinMs: number, gcMs: number, storedBytes: number }

/** The input, made in the page (outside the JS heap: Blobs): one random file, or many small ones. */
async function makeInput (page: Page, shape: Shape): Promise<void> {
  await page.evaluate(async (s) => {
    const g = globalThis as unknown as { benchEntries: Array<{ path: string, file: File }> }
    if (s.kind === 'one') {
      const parts: Blob[] = []
      const chunk = new Uint8Array(1024 * 1024)
      for (let i = 0; i < s.mib; i++) {
        for (let o = 0; o < chunk.length; o += 65536) crypto.getRandomValues(chunk.subarray(o, o + 65536))
        parts.push(new Blob([chunk]))
      }
      g.benchEntries = [{ path: 'bench.bin', file: new File(parts, 'bench.bin') }]
    } else {
      const buf = new Uint8Array(s.kib * 1024)
      g.benchEntries = []
      for (let i = 0; i < s.count; i++) {
        crypto.getRandomValues(buf)
        g.benchEntries.push({ path: `small/f${i}.bin`, file: new File([buf], `f${i}.bin`) })
      }
    }
  }, shape)
}

const usage = async (page: Page): Promise<number> => await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0)

/** Add (with pin) through the app, then unpin and GC. */
async function cairnAdd (page: Page, profile: string): Promise<AddSample> {
  const before = await usage(page)
  const r = await page.evaluate(async (profile) => {
    const app = globalThis.cairn!
    const entries = (globalThis as unknown as { benchEntries: Array<{ path: string, file: File }> }).benchEntries
    const t0 = performance.now()
    const roots = await app.files.add(entries, { profile })
    return { ms: performance.now() - t0, roots: roots.map(r => r.cid) }
  }, profile)
  const storedBytes = await usage(page) - before
  const g = await page.evaluate(async (roots) => {
    const t0 = performance.now()
    for (const cid of roots) await globalThis.cairn!.files.unpin(cid)
    const t1 = performance.now()
    await globalThis.cairn!.files.gc()
    return { unpinMs: t1 - t0, gcMs: performance.now() - t1 }
  }, r.roots)
  return { ms: r.ms, ...g, storedBytes }
}

interface StockBench {
  ready: Promise<boolean>
  add: (profile: string, entries: Array<{ path: string, file: Blob }>, wrap: boolean) => Promise<{ ms: number, roots: string[] }>
  unpinAndGc: (roots: string[]) => Promise<{ unpinMs: number, gcMs: number }>
}

/** The same through stock Helia: unixfs add, pins.add, pins.rm, gc. */
async function stockAdd (page: Page, profile: string, wrap: boolean): Promise<AddSample> {
  const before = await usage(page)
  const r = await page.evaluate(async ({ profile, wrap }) => {
    const entries = (globalThis as unknown as { benchEntries: Array<{ path: string, file: File }> }).benchEntries
    return await (globalThis as unknown as { stockBench: StockBench }).stockBench.add(profile, entries, wrap)
  }, { profile, wrap })
  const storedBytes = await usage(page) - before
  const g = await page.evaluate(async (roots) => await (globalThis as unknown as { stockBench: StockBench }).stockBench.unpinAndGc(roots), r.roots)
  return { ms: r.ms, ...g, storedBytes }
}

/** Peak JS heap while the app adds the current input. */
async function heapWhileAdding (page: Page): Promise<{ peakHeapMiB: number, growthMiB: number, roots: string[] }> {
  return await page.evaluate(async () => {
    const mem = (): number => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0
    const base = mem()
    let peak = base
    const timer = setInterval(() => { peak = Math.max(peak, mem()) }, 20)
    const entries = (globalThis as unknown as { benchEntries: Array<{ path: string, file: File }> }).benchEntries
    const roots = await globalThis.cairn!.files.add(entries, { profile: 'unixfs-v1-2025' })
    clearInterval(timer)
    peak = Math.max(peak, mem())
    return { peakHeapMiB: +(peak / 1024 / 1024).toFixed(1), growthMiB: +((peak - base) / 1024 / 1024).toFixed(1), roots: roots.map(r => r.cid) }
  })
}

const suite: BenchSuite = {
  name: 'files',
  async run ({ root, quick, log }) {
    const mib = envNumber('CAIRN_BENCH_FILES_MIB', quick ? 16 : 256)
    const count = envNumber('CAIRN_BENCH_FILES_SMALL_COUNT', quick ? 1000 : 10_000)
    const kib = envNumber('CAIRN_BENCH_FILES_SMALL_KIB', 4)
    const repeat = Math.max(1, envNumber('CAIRN_BENCH_REPEAT', quick ? 1 : 3))
    const heapRaw = process.env.CAIRN_BENCH_FILES_HEAP_MIB ?? (quick ? '16,64' : '64,256,1024')
    const heapSizes = heapRaw.split(',').filter(s => s.trim() !== '').map(Number)
    const cases = new Set((process.env.CAIRN_BENCH_FILES ?? 'v0,v1,small,heap').split(',').map(c => c.trim()))

    const dist = buildApp(root, log)
    const stockDir = buildPage(root, 'stock-page', 'bench/stock/vite.config.ts', log)
    const network = await startLocalNetwork({})
    const site = await startStaticServer({ root: dist, localInfo: network.info })
    // Another port: another origin, so the two pages never share IndexedDB or quota.
    const stockSite = await startStaticServer({ root: stockDir, localInfo: network.info })
    const opts = chromiumLaunchOptions()
    // A real (persistent) profile: incognito contexts keep IndexedDB in memory and hit a quota
    // error near 1 GiB, whatever navigator.storage.estimate() says.
    const profileDir = await mkdtemp(join(tmpdir(), 'cairn-bench-profile-'))
    const context = await chromium.launchPersistentContext(profileDir, { ...opts, args: [...(opts.args ?? []), '--enable-precise-memory-info', '--js-flags=--expose-gc'] })
    const results: Record<string, unknown> = {
      sizes: { fileMiB: mib, smallFiles: count, smallFileKiB: kib, repeats: repeat },
      note: 'ratio = stock Helia time / Cairn time in the same repeat (> 1: Cairn faster); median, min–max over repeats. Each add includes pinning its root; unpin and GC are timed apart. storedMiB: growth of navigator.storage.estimate().usage over the add (approximate).'
    }
    try {
      // tsx (esbuild, keepNames) wraps named functions in __name(); the pages need it defined.
      await context.addInitScript({ content: 'globalThis.__name = (f) => f' })
      const page = await context.newPage()
      await page.goto(site.url)
      await page.waitForFunction(() => globalThis.cairn?.node.state.get().status === 'online', undefined, { timeout: 60_000 })
      const stock = await context.newPage()
      await stock.goto(stockSite.url)
      await stock.evaluate(async () => await (globalThis as unknown as { stockBench: StockBench }).stockBench.ready)

      const measure = async (shape: Shape, profile: string): Promise<Record<string, unknown>> => {
        await makeInput(page, shape)
        await makeInput(stock, shape)
        const ours: AddSample[] = []
        const theirs: AddSample[] = []
        for (let i = 0; i < repeat; i++) {
          // Alternate which goes first, so neither always gets the cooler machine.
          if (i % 2 === 0) {
            theirs.push(await stockAdd(stock, profile, shape.kind === 'small'))
            ours.push(await cairnAdd(page, profile))
          } else {
            ours.push(await cairnAdd(page, profile))
            theirs.push(await stockAdd(stock, profile, shape.kind === 'small'))
          }
          log(`  ${JSON.stringify(shape)} ${profile} #${i + 1}: cairn ${Math.round(ours[i]!.ms)} ms (unpin ${Math.round(ours[i]!.unpinMs)}, gc ${Math.round(ours[i]!.gcMs)}), stock ${Math.round(theirs[i]!.ms)} ms (unpin ${Math.round(theirs[i]!.unpinMs)}, gc ${Math.round(theirs[i]!.gcMs)})`)
        }
        const bytes = shape.kind === 'one' ? shape.mib * MiB : shape.count * shape.kib * 1024
        const rate = (s: AddSample[]): number[] => shape.kind === 'one' ? s.map(x => (bytes / MiB) / (x.ms / 1000)) : s.map(x => shape.count / (x.ms / 1000))
        const unit = shape.kind === 'one' ? 'MiBPerS' : 'filesPerS'
        const side = (s: AddSample[]): Record<string, unknown> => ({
          [`add${unit}`]: spread(rate(s), 1),
          addMs: spread(s.map(x => x.ms), 0),
          unpinMs: spread(s.map(x => x.unpinMs), 0),
          gcMs: spread(s.map(x => x.gcMs), 0),
          storedMiB: spread(s.map(x => x.storedBytes / MiB), 1),
          storedPerInputByte: spread(s.map(x => x.storedBytes / bytes), 2)
        })
        return {
          profile,
          addRatio: spread(theirs.map((t, i) => t.ms / ours[i]!.ms), 2),
          unpinRatio: spread(theirs.map((t, i) => t.unpinMs / ours[i]!.unpinMs), 2),
          gcRatio: spread(theirs.map((t, i) => t.gcMs / ours[i]!.gcMs), 2),
          cairn: side(ours),
          stockHelia: side(theirs)
        }
      }
      // "Default profile" in issue #15 is Helia's default layout (unixfs-v1-2025: CIDv1, raw
      // leaves, 1 MiB chunks); "Kubo profile" is unixfs-v0-2015 (also the app's own default).
      if (cases.has('v1')) {
        log(`  ${mib} MiB file, unixfs-v1-2025 (Helia's default)…`)
        results[`file${mib}MiB_v1_2025_heliaDefault`] = await measure({ kind: 'one', mib }, 'unixfs-v1-2025')
      }
      if (cases.has('v0')) {
        log(`  ${mib} MiB file, unixfs-v0-2015 (Kubo's)…`)
        results[`file${mib}MiB_v0_2015_kubo`] = await measure({ kind: 'one', mib }, 'unixfs-v0-2015')
      }
      if (cases.has('small')) {
        log(`  ${count} × ${kib} KiB files…`)
        results[`small${count}x${kib}KiB_v1_2025`] = await measure({ kind: 'small', count, kib }, 'unixfs-v1-2025')
      }
      if (cases.has('heap') && heapSizes.length > 0) {
        const heap: Record<string, unknown> = {}
        for (const m of heapSizes) {
          log(`  heap while adding ${m} MiB…`)
          await makeInput(page, { kind: 'one', mib: m })
          const r = await heapWhileAdding(page)
          heap[`${m}MiB`] = { peakHeapMiB: r.peakHeapMiB, growthMiB: r.growthMiB }
          await page.evaluate(async (roots) => {
            (globalThis as unknown as { benchEntries?: unknown }).benchEntries = undefined
            for (const cid of roots) await globalThis.cairn!.files.unpin(cid)
            await globalThis.cairn!.files.gc()
          }, r.roots)
        }
        results.peakHeapWhileAdding = heap
      }
    } finally {
      await context.close()
      await rm(profileDir, { recursive: true, force: true, maxRetries: 5 })
      await stockSite.close()
      await site.close()
      await network.stop()
    }
    return results
  }
}

export default suite
