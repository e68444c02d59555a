/**
 * The app's foundation numbers: initial JS (gzip) and time from navigation to node ready, on a
 * first visit (empty IndexedDB, new identity), on the first reload (while the service worker is
 * still installing) and on later reloads, in headless Chromium.
 */
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { startLocalNetwork } from '../../src/node/network/index.js'
import { startStaticServer } from '../../src/node/serve/static-server.js'
import { chromiumLaunchOptions } from '../../playwright/browser.js'
import { median } from '../suite.js'
import type { BenchSuite } from '../suite.js'

/** Scripts the browser loads before first paint: the entry and its modulepreloads. */
async function initialJs (dist: string): Promise<{ files: string[], rawBytes: number, gzipBytes: number }> {
  const html = await readFile(join(dist, 'index.html'), 'utf8')
  const files = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map(m => m[1]!.replace(/^\.\//, ''))
  let rawBytes = 0
  let gzipBytes = 0
  for (const f of files) {
    const bytes = await readFile(join(dist, f))
    rawBytes += bytes.byteLength
    gzipBytes += gzipSync(bytes, { level: 9 }).byteLength
  }
  return { files, rawBytes, gzipBytes }
}

const suite: BenchSuite = {
  name: 'app',
  async run ({ root, quick, log }) {
    log('  building the app (vite build)…')
    execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' })
    const dist = join(root, 'dist')
    const js = await initialJs(dist)

    const network = await startLocalNetwork({})
    const site = await startStaticServer({ root: dist, localInfo: network.info })
    const browser = await chromium.launch(chromiumLaunchOptions())
    const runs = quick ? 3 : 9
    const firstVisit: number[] = []
    const firstReload: number[] = []
    const reload: number[] = []
    try {
      for (let i = 0; i < runs; i++) {
        const context = await browser.newContext()
        const page = await context.newPage()
        const readyAt = async (): Promise<number> => page.waitForFunction(() => {
          const t = globalThis.cairn?.node.state.get().readyAt
          return t !== undefined && t
        }, undefined, { timeout: 30_000 }).then(async h => h.jsonValue() as Promise<number>)
        await page.goto(site.url)
        firstVisit.push(await readyAt())
        // The first reload races the service worker's install (it precaches the app shell in the
        // background); later reloads are what a returning visitor sees.
        await page.reload()
        firstReload.push(await readyAt())
        for (let r = 0; r < 3; r++) {
          await page.reload()
          reload.push(await readyAt())
        }
        await context.close()
      }
    } finally {
      await browser.close()
      await site.close()
      await network.stop()
    }
    return {
      initialJs: { ...js, gzipKB: +(js.gzipBytes / 1000).toFixed(1), goalKB: 200, meetsGoal: js.gzipBytes <= 200_000 },
      nodeReadyMs: {
        runs,
        firstVisitMedian: Math.round(median(firstVisit)),
        reloadMedian: Math.round(median(reload)),
        firstReloadMedian: Math.round(median(firstReload)),
        firstVisit: firstVisit.map(Math.round),
        firstReload: firstReload.map(Math.round),
        reload: reload.map(Math.round),
        reloadGoalMs: 300,
        meetsGoal: median(reload) <= 300
      }
    }
  }
}

export default suite
