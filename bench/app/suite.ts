/**
 * Start-up, against a stock Helia-light page in the same run. The app is what `npm run build`
 * ships (bench/build.ts), service worker included. Measured in headless Chromium, per run in a
 * fresh context:
 *   - every JS file fetched from navigation until the peer ID shows (the node is ready), with its
 *     raw and gzip size (the server sends it uncompressed; gzip -9 of the same bytes is what a
 *     compressing server would send), on the first visit;
 *   - navigation → node ready on the first visit (empty IndexedDB, new identity), on the first
 *     reload (the service worker may still be installing) and on later reloads, which must be
 *     controlled by the service worker: the suite fails if sw.js is not served or does not
 *     control the page, rather than measure reloads without it;
 *   - the same for bench/stock/page (?mode=net: stock Helia-light with libp2p over WebSockets to
 *     the local relay, bitswap, IndexedDB stores; it has no service worker), and the ratios
 *     Cairn time / stock time per run (< 1: Cairn is faster), median and min–max.
 *
 * Options (environment): CAIRN_BENCH_APP_RUNS (default 9, 3 with --quick), CAIRN_BENCH_APP_RELOADS
 * (later reloads per run, default 3).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { startLocalNetwork } from '../../src/node/network/index.js'
import { startStaticServer } from '../../src/node/serve/static-server.js'
import { chromiumLaunchOptions } from '../../playwright/browser.js'
import { buildApp, buildPage } from '../build.js'
import { envNumber, spread } from '../suite.js'
import type { BenchSuite } from '../suite.js'
import type { Browser, Page } from 'playwright-core'

interface JsSeen { url: string, at: number, fromServiceWorker: boolean }
interface JsLoaded { files: number, rawBytes: number, gzipBytes: number, fromServiceWorker: number, list: Array<{ file: string, rawBytes: number, gzipBytes: number }> }

/** Records every script response of the page (and its workers) with the time its request started. */
function watchScripts (page: Page): JsSeen[] {
  const seen: JsSeen[] = []
  const started = new Map<unknown, number>()
  page.on('request', (req) => { started.set(req, Date.now()) })
  page.on('response', (res) => {
    const url = new URL(res.url())
    if (!url.pathname.endsWith('.js') && !url.pathname.endsWith('.mjs')) return
    seen.push({ url: res.url(), at: started.get(res.request()) ?? Date.now(), fromServiceWorker: res.fromServiceWorker() })
  })
  return seen
}

/** The scripts whose request started before `until` (epoch ms), sized from the build on disk. */
async function scriptsBefore (seen: JsSeen[], until: number, dir: string, base: string): Promise<JsLoaded> {
  const out: JsLoaded = { files: 0, rawBytes: 0, gzipBytes: 0, fromServiceWorker: 0, list: [] }
  const done = new Set<string>()
  for (const s of seen) {
    if (s.at > until || done.has(s.url)) continue
    done.add(s.url)
    const file = new URL(s.url).pathname.slice(new URL(base).pathname.length)
    const bytes = await readFile(join(dir, file))
    const gz = gzipSync(bytes, { level: 9 }).byteLength
    out.files++
    out.rawBytes += bytes.byteLength
    out.gzipBytes += gz
    if (s.fromServiceWorker) out.fromServiceWorker++
    out.list.push({ file, rawBytes: bytes.byteLength, gzipBytes: gz })
  }
  out.list.sort((a, b) => b.gzipBytes - a.gzipBytes)
  return out
}

/** Navigation → ready (ms, the page's own clock) and the epoch time of ready. */
async function readyAt (page: Page, expr: 'cairn' | 'stock'): Promise<{ ms: number, epoch: number }> {
  const h = await page.waitForFunction((which) => {
    const t = which === 'cairn'
      ? globalThis.cairn?.node.state.get().readyAt
      : (globalThis as unknown as { stockBench?: { readyAt?: number } }).stockBench?.readyAt
    return t !== undefined && { ms: t, epoch: performance.timeOrigin + t }
  }, expr, { timeout: 60_000 })
  return await h.jsonValue() as { ms: number, epoch: number }
}

/** Fails unless sw.js is served and a service worker is active for the page (within 20 s). */
async function assertServiceWorkerActive (page: Page, url: string): Promise<void> {
  const res = await page.request.get(new URL('sw.js', url).href)
  if (res.status() !== 200) throw new Error(`sw.js answered ${res.status()}: the build has no service worker, so reloads would be measured without it. Build with \`npm run build\`.`)
  const active = await page.evaluate(async () => await Promise.race([
    navigator.serviceWorker.ready.then(r => r.active?.scriptURL ?? null),
    new Promise<null>(resolve => { setTimeout(() => { resolve(null) }, 20_000) })
  ]))
  if (active === null) throw new Error('no service worker became active within 20 s of the first visit: reloads would be measured without it.')
}

/** Fails unless a service worker controls the page (after a reload). */
async function assertControlled (page: Page): Promise<void> {
  const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null)
  if (controller === null || !controller.endsWith('/sw.js')) throw new Error(`the service worker does not control the page after a reload (controller: ${String(controller)}): reloads would be measured without it.`)
}

interface RunTimes { firstVisit: number, firstReload: number, reloads: number[], js?: JsLoaded, reloadJs?: JsLoaded }

async function runOnce (browser: Browser, url: string, which: 'cairn' | 'stock', dir: string, reloads: number): Promise<RunTimes> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    const seen = watchScripts(page)
    await page.goto(url)
    const first = await readyAt(page, which)
    const js = await scriptsBefore(seen, first.epoch, dir, url)
    // Wait for the worker to be active before reloading, so the first reload is already served
    // through it (it may still be caching in the background: that reload is reported apart).
    if (which === 'cairn') await assertServiceWorkerActive(page, url)
    await page.reload()
    const firstReload = (await readyAt(page, which)).ms
    if (which === 'cairn') await assertControlled(page)
    const times: number[] = []
    let reloadJs: JsLoaded | undefined
    for (let r = 0; r < reloads; r++) {
      seen.length = 0
      await page.reload()
      const t = await readyAt(page, which)
      times.push(t.ms)
      if (r === reloads - 1) reloadJs = await scriptsBefore(seen, t.epoch, dir, url)
    }
    if (which === 'cairn' && reloadJs !== undefined && reloadJs.files > 0 && reloadJs.fromServiceWorker === 0) {
      throw new Error('no script of the last reload came from the service worker: reloads were not measured through it.')
    }
    return { firstVisit: first.ms, firstReload, reloads: times, js, reloadJs }
  } finally {
    await context.close()
  }
}

const suite: BenchSuite = {
  name: 'app',
  async run ({ root, quick, log }) {
    const runs = Math.max(1, envNumber('CAIRN_BENCH_APP_RUNS', quick ? 3 : 9))
    const reloads = Math.max(1, envNumber('CAIRN_BENCH_APP_RELOADS', 3))
    const dist = buildApp(root, log)
    const stockDir = buildPage(root, 'stock-page', 'bench/stock/vite.config.ts', log)
    const network = await startLocalNetwork({})
    const site = await startStaticServer({ root: dist, localInfo: network.info })
    const stockSite = await startStaticServer({ root: stockDir, localInfo: network.info })
    const browser = await chromium.launch(chromiumLaunchOptions())
    const ours: RunTimes[] = []
    const theirs: RunTimes[] = []
    try {
      for (let i = 0; i < runs; i++) {
        // Alternate which page goes first in each run.
        const pair = i % 2 === 0 ? ['stock', 'cairn'] as const : ['cairn', 'stock'] as const
        for (const which of pair) {
          const r = which === 'cairn'
            ? await runOnce(browser, site.url, 'cairn', dist, reloads)
            : await runOnce(browser, stockSite.url + '?mode=net', 'stock', stockDir, reloads)
          ;(which === 'cairn' ? ours : theirs).push(r)
        }
        log(`  run ${i + 1}: cairn first visit ${Math.round(ours[i]!.firstVisit)} ms, reload ${Math.round(ours[i]!.reloads[0]!)} ms; stock ${Math.round(theirs[i]!.firstVisit)} ms, reload ${Math.round(theirs[i]!.reloads[0]!)} ms`)
      }
    } finally {
      await browser.close()
      await stockSite.close()
      await site.close()
      await network.stop()
    }
    const med = (xs: number[]): number => spread(xs).median
    const side = (rs: RunTimes[]): Record<string, unknown> => {
      const js = rs[0]!.js!
      return {
        jsBeforeReady: {
          files: js.files,
          rawKB: +(js.rawBytes / 1000).toFixed(1),
          gzipKB: +(js.gzipBytes / 1000).toFixed(1),
          perRunGzipKB: spread(rs.map(r => r.js!.gzipBytes / 1000), 1),
          largest: js.list.slice(0, 8).map(f => `${f.file} ${(f.gzipBytes / 1000).toFixed(1)} kB gzip`)
        },
        readyMs: {
          firstVisit: spread(rs.map(r => r.firstVisit), 0),
          firstReload: spread(rs.map(r => r.firstReload), 0),
          reload: spread(rs.map(r => med(r.reloads)), 0)
        },
        ...(rs[0]!.reloadJs !== undefined ? { lastReloadScripts: { files: rs[0]!.reloadJs.files, fromServiceWorker: rs[0]!.reloadJs.fromServiceWorker } } : {})
      }
    }
    return {
      runs,
      reloadsPerRun: reloads,
      note: 'JS: every script requested from navigation until the node is ready (peer ID shown), first visit, sizes from the build (gzip -9 of each file). ratio = Cairn ms / stock Helia-light ms in the same run (< 1: Cairn faster); median, min–max over runs. Reloads of the app are asserted to be controlled by its service worker.',
      cairn: side(ours),
      stockHelia: side(theirs),
      ratioVsStock: {
        firstVisit: spread(ours.map((o, i) => o.firstVisit / theirs[i]!.firstVisit), 2),
        reload: spread(ours.map((o, i) => med(o.reloads) / med(theirs[i]!.reloads)), 2),
        jsGzip: +(ours[0]!.js!.gzipBytes / theirs[0]!.js!.gzipBytes).toFixed(2)
      },
      goals: { jsGzipKB: 150, firstVisitRatio: 1.2, reloadMs: 250 }
    }
  }
}

export default suite
