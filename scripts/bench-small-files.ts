/**
 * Small files in real Chromium, through the app's own path: add N × 4 KiB files as one folder
 * (files/s), then unpin it (s), then collect garbage (s). Compares builds side by side in the same
 * run, each served from its own origin (so each has its own IndexedDB), runs interleaved.
 *
 *   npx tsx scripts/bench-small-files.ts [--files 10000] [--runs 3] [--profile unixfs-v1-2025]
 *     [--dist label=dir]… (default: current=dist) [--cpu-profile out.json]
 *
 * Prints JSON with every sample and the medians. Timing is indicative on a loaded machine.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { tmpdir } from 'node:os'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { startLocalNetwork } from '../src/node/network/index.js'
import { startStaticServer } from '../src/node/serve/static-server.js'
import { chromiumLaunchOptions } from '../playwright/browser.js'
import type { CDPSession, Page } from 'playwright-core'

interface Sample { filesPerS: number, addS: number, unpinS: number, gcS: number, gcBlocks: number, root: string }

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    profile: { type: 'string', default: 'unixfs-v1-2025' },
    dist: { type: 'string', multiple: true },
    'cpu-profile': { type: 'string' }
  }
})
const files = Number(values.files)
const runs = Number(values.runs)
const dists = (values.dist ?? ['current=dist']).map(d => { const [label, dir] = d.split('='); return { label: label!, dir: resolve(dir!) } })

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

async function once (page: Page, n: number, profile: string): Promise<Sample> {
  return page.evaluate(async ({ n, profile }) => {
    const app = globalThis.cairn!
    const entries: Array<{ path: string, file: File }> = []
    const buf = new Uint8Array(4096)
    const tag = Math.random().toString(36).slice(2, 8)
    for (let i = 0; i < n; i++) {
      crypto.getRandomValues(buf)
      entries.push({ path: `small-${tag}/f${i}.bin`, file: new File([buf], `f${i}.bin`) })
    }
    const t0 = performance.now()
    const roots = await app.files.add(entries, { profile })
    const t1 = performance.now()
    await app.files.unpin(roots[0]!.cid)
    const t2 = performance.now()
    const gc = await app.files.gc()
    const t3 = performance.now()
    return { filesPerS: Math.round(n / ((t1 - t0) / 1000)), addS: (t1 - t0) / 1000, unpinS: (t2 - t1) / 1000, gcS: (t3 - t2) / 1000, gcBlocks: gc.blocks, root: roots[0]!.cid }
  }, { n, profile })
}

/** Profile the page's dedicated workers too (CDP child sessions, messages relayed through the page's session). */
async function profileWorkers (cdp: CDPSession): Promise<() => Promise<unknown[]>> {
  const sessions: string[] = []
  let nextId = 1000
  const pending = new Map<number, (v: unknown) => void>()
  cdp.on('Target.attachedToTarget', (e: { sessionId: string, targetInfo: { type: string } }) => {
    if (e.targetInfo.type === 'worker') sessions.push(e.sessionId)
  })
  cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number, result?: unknown }
    if (m.id !== undefined) pending.get(m.id)?.(m.result)
  })
  const call = async (sessionId: string, method: string, params: object = {}): Promise<unknown> => {
    const id = nextId++
    const done = new Promise(resolve => pending.set(id, resolve))
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
    return done
  }
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false })
  await new Promise(resolve => setTimeout(resolve, 500))
  for (const s of sessions) { await call(s, 'Profiler.enable'); await call(s, 'Profiler.setSamplingInterval', { interval: 200 }); await call(s, 'Profiler.start') }
  return async () => Promise.all(sessions.map(async s => ((await call(s, 'Profiler.stop')) as { profile: unknown }).profile))
}

const network = await startLocalNetwork({})
const sites = await Promise.all(dists.map(async d => ({ ...d, site: await startStaticServer({ root: d.dir, localInfo: network.info }) })))
const profileDir = await mkdtemp(join(tmpdir(), 'cairn-smallfiles-'))
const opts = chromiumLaunchOptions()
const context = await chromium.launchPersistentContext(profileDir, { ...opts })
const out: Record<string, { samples: Sample[], median?: Record<string, number> }> = {}
try {
  await context.addInitScript({ content: 'globalThis.__name = (f) => f' })
  const pages = new Map<string, Page>()
  for (const s of sites) {
    const page = await context.newPage()
    page.on('pageerror', e => { console.error(`[${s.label}] page error`, e) })
    await page.goto(s.site.url)
    await page.waitForFunction(() => globalThis.cairn?.node.state.get().status === 'online', undefined, { timeout: 60_000 })
    pages.set(s.label, page)
    out[s.label] = { samples: [] }
  }
  // A warm-up add of a few files on each, so the worker and the modules are loaded.
  for (const s of sites) await once(pages.get(s.label)!, 50, values.profile)
  for (let r = 0; r < runs; r++) {
    for (const s of sites) {
      const page = pages.get(s.label)!
      const cdp = values['cpu-profile'] !== undefined && r === runs - 1 ? await context.newCDPSession(page) : undefined
      const workers = cdp === undefined ? undefined : await profileWorkers(cdp)
      if (cdp !== undefined) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start') }
      const sample = await once(page, files, values.profile)
      if (cdp !== undefined) {
        const { profile } = await cdp.send('Profiler.stop')
        await writeFile(`${values['cpu-profile']!}.${s.label}.cpuprofile`, JSON.stringify(profile))
        const ws = await workers!()
        for (const [i, w] of ws.entries()) await writeFile(`${values['cpu-profile']!}.${s.label}.worker${i}.cpuprofile`, JSON.stringify(w))
        await cdp.detach()
      }
      console.error(`[${s.label}] run ${r + 1}: ${JSON.stringify(sample)}`)
      out[s.label]!.samples.push(sample)
    }
  }
  for (const s of sites) {
    const xs = out[s.label]!.samples
    out[s.label]!.median = { filesPerS: median(xs.map(x => x.filesPerS)), addS: +median(xs.map(x => x.addS)).toFixed(3), unpinS: +median(xs.map(x => x.unpinS)).toFixed(3), gcS: +median(xs.map(x => x.gcS)).toFixed(3) }
  }
  console.log(JSON.stringify({ files, runs, profile: values.profile, results: out }, null, 2))
} finally {
  await context.close()
  await rm(profileDir, { recursive: true, force: true })
  for (const s of sites) await s.site.close()
  await network.stop()
}
