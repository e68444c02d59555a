/**
 * restic engine throughput against real restic 0.14 on the same bytes, in the same run: backup of
 * random and text-like data (512 MiB each; 64 MiB with --quick) into fresh v2 repositories, then
 * restore, in Node (the engine on the calling thread) and in Chromium (a bench-only page built from
 * page/: blobs on a Web Worker pool, the data generated in a worker and streamed, the timed backup
 * writing its packs where the app writes them: an IPFS repository in an IndexedDB blockstore,
 * flushed; the restore from that repository). Ratios are restic's time over ours (1 = as fast as
 * restic; restic writes its packs too), with peak memory: restic's max RSS, and the Chromium
 * renderer's RSS (page and workers; idle = after a warm-up run). The engine alone (packs dropped)
 * is reported apart as `engineOnlyRatio`, for reference only.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, openSync, writeSync, closeSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { startStaticServer } from '../../src/node/serve/static-server.js'
import { chromiumLaunchOptions } from '../../playwright/browser.js'
import type { PhaseName, RunRequest, RunResult } from './page/main.js'
import { LocalBackend } from '../../src/node/restic/local-backend.js'
import { FsSource } from '../../src/node/restic/fs-source.js'
import { FsSink } from '../../src/node/restic/fs-sink.js'
import { createNodeResticPool } from '../../src/node/restic/worker-pool.js'
import { Repository, backup, findSnapshot, restore } from '../../src/restic/index.js'
import type { BenchSuite } from '../suite.js'
import { median, spread } from '../suite.js'
import { buildPage } from '../build.js'
import { measureUnlock } from './unlock.js'

const MiB = 1024 * 1024
const PASSWORD = 'bench'
/** Page phases whose peak memory the memory runs compare across input sizes. */
const MEMORY_PHASES: PhaseName[] = ['read', 'backup', 'store', 'restore']

function writeData (file: string, mib: number, kind: 'random' | 'text'): void {
  const fd = openSync(file, 'w')
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(kind).digest(), Buffer.alloc(16))
  const words = ['restic', 'cairn', 'backup', 'chunk', 'blob', 'pack', 'index', 'tree', 'snapshot', 'the', 'of', 'and', 'a', 'to', 'in', 'repository']
  for (let i = 0; i < mib; i++) {
    const r = cipher.update(Buffer.alloc(MiB))
    if (kind === 'random') { writeSync(fd, r); continue }
    const parts: string[] = []
    let n = 0
    for (let j = 0; n < MiB; j++) { const w = words[(r[j % MiB] as number) % words.length] as string; parts.push(w); n += w.length + 1 }
    writeSync(fd, Buffer.from(parts.join(' ')).subarray(0, MiB))
  }
  closeSync(fd)
}


/** Run restic under GNU time: seconds and max RSS (MiB). */
function restic (args: string[], env: NodeJS.ProcessEnv): { s: number, rssMiB: number } {
  const t = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', 'restic', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  const s = (performance.now() - t) / 1000
  const out = r.stderr.toString()
  if (r.status !== 0) throw new Error(`restic ${args.join(' ')} failed: ${out}`)
  const kib = Number(/maxrss=(\d+)/.exec(out)?.[1] ?? 0)
  return { s, rssMiB: +(kib / 1024).toFixed(1) }
}

/**
 * Private resident memory (RssAnon, MiB: heaps, ArrayBuffers, WebAssembly memories) of Chromium's
 * renderer processes started by this Node process. Plain RSS would also count the shared pages of
 * Chromium's code once per process.
 */
function rendererRssMiB (): number {
  const procs: Array<{ pid: number, ppid: number, renderer: boolean, rssKiB: number }> = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8')
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1])
      const rssKiB = Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0)
      const renderer = readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('--type=renderer')
      procs.push({ pid: Number(d), ppid, renderer, rssKiB })
    } catch { /* gone */ }
  }
  const ours = new Set([process.pid])
  for (let grew = true; grew;) {
    grew = false
    for (const p of procs) if (!ours.has(p.pid) && ours.has(p.ppid)) { ours.add(p.pid); grew = true }
  }
  return procs.filter(p => p.renderer && ours.has(p.pid)).reduce((n, p) => n + p.rssKiB, 0) / 1024
}

interface Chromium { context: BrowserContext, page: Page, close: () => Promise<void> }

/** Build page/ (bench-only) and open it in Debian's Chromium. */
async function openChromium (root: string, dir: string, log: (line: string) => void): Promise<Chromium> {
  const out = buildPage(root, 'restic-page', 'bench/restic/vite.config.ts', log)
  const site = await startStaticServer({ root: out })
  const opts = chromiumLaunchOptions()
  // A persistent profile: the origin private file system of an incognito context is kept in memory.
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), { ...opts, args: [...(opts.args ?? []), '--enable-precise-memory-info', '--js-flags=--expose-gc'] })
  // tsx (esbuild, keepNames) wraps named functions in __name(); the page needs it defined.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f' })
  const page = await context.newPage()
  await page.goto(site.url)
  await page.waitForFunction(() => (globalThis as { resticBench?: unknown }).resticBench !== undefined)
  return { context, page, close: async () => { await context.close(); await site.close() } }
}

interface Sample { t: number, rssMiB: number }
export type PageRun = RunResult & { idleRssMiB: number, peakRssMiB: Partial<Record<PhaseName, number>> }

/** One run in the page, sampling the renderers' RSS meanwhile; peaks split by the page's phases. */
async function pageRun (page: Page, req: RunRequest): Promise<PageRun> {
  const idle = rendererRssMiB()
  const samples: Sample[] = []
  const timer = setInterval(() => { samples.push({ t: Date.now(), rssMiB: rendererRssMiB() }) }, 100)
  try {
    const r = await page.evaluate(async (q) => await (globalThis as unknown as { resticBench: { run: (q: RunRequest) => Promise<RunResult> } }).resticBench.run(q), req)
    const peakRssMiB: Partial<Record<PhaseName, number>> = {}
    for (const ph of r.phases) {
      const inside = samples.filter(s => s.t >= ph.start && s.t <= ph.end + 100).map(s => s.rssMiB)
      peakRssMiB[ph.name] = +Math.max(idle, ...inside).toFixed(1)
    }
    return { ...r, idleRssMiB: +idle.toFixed(1), peakRssMiB }
  } finally {
    clearInterval(timer)
  }
}

/** Peak RSS of this Node process while `f` runs (sampled every 50 ms). */
async function nodeRun (f: () => Promise<unknown>): Promise<{ s: number, peakRssMiB: number }> {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 50)
  const t = performance.now()
  try {
    await f()
    return { s: (performance.now() - t) / 1000, peakRssMiB: +(Math.max(peak, process.memoryUsage.rss()) / MiB).toFixed(1) }
  } finally {
    clearInterval(timer)
  }
}

const env = (name: string): string | undefined => process.env[name] === '' ? undefined : process.env[name]

const suite: BenchSuite = {
  name: 'restic',
  /**
   * Options (environment): CAIRN_BENCH_RESTIC_MIB (default 512, 64 with --quick),
   * CAIRN_BENCH_RESTIC_REPEATS (default 3, 1 with --quick), CAIRN_BENCH_RESTIC_TARGETS
   * (`node,chromium`), CAIRN_BENCH_RESTIC_KINDS (`random,text`), CAIRN_BENCH_RESTIC_MEMORY_REPEATS
   * (default: the repeats; runs of the page at ¼ and full size, for memory growth),
   * CAIRN_BENCH_RESTIC_PAGE_STORE (`ipfs`, the app's storage, default; or `opfs`),
   * CAIRN_BENCH_RESTIC_ENGINE_ONLY (`0` skips the engine-only backup),
   * CAIRN_BENCH_RESTIC_UNLOCK_REPEATS (default 5, 3 with --quick; opening an N=2^17 key).
   */
  async run ({ root: repoRoot, quick, log }) {
    const mib = Number(env('CAIRN_BENCH_RESTIC_MIB') ?? (quick ? 64 : 512))
    const repeats = Number(env('CAIRN_BENCH_RESTIC_REPEATS') ?? (quick ? 1 : 3))
    const targets = (env('CAIRN_BENCH_RESTIC_TARGETS') ?? 'node,chromium').split(',')
    const kinds = (env('CAIRN_BENCH_RESTIC_KINDS') ?? 'random,text').split(',') as Array<'random' | 'text'>
    const memoryRepeats = Number(env('CAIRN_BENCH_RESTIC_MEMORY_REPEATS') ?? repeats)
    const pageStore = (env('CAIRN_BENCH_RESTIC_PAGE_STORE') ?? 'ipfs') as 'ipfs' | 'opfs'
    if (pageStore !== 'ipfs' && pageStore !== 'opfs') throw new Error(`CAIRN_BENCH_RESTIC_PAGE_STORE=${String(pageStore)}: use ipfs (the app's storage) or opfs.`)
    const skipEngineOnly = env('CAIRN_BENCH_RESTIC_ENGINE_ONLY') === '0'
    const root = mkdtempSync(join(tmpdir(), 'cairn-bench-restic-'))
    const resticEnv = { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(root, 'cache') }
    const out: Record<string, unknown> = { mib, repeats, pageStore, note: 'ratio = restic time / our time in the same repeat (1 = as fast as restic; both write their packs: restic to disk, the page to its store); median, min, max over repeats. Peak memory: restic max RSS; Node process RSS; Chromium renderer RSS (page + workers) per phase.' }
    let browser: Chromium | undefined
    try {
      let workers = 0
      if (targets.includes('chromium')) {
        browser = await openChromium(repoRoot, root, log)
        workers = await browser.page.evaluate(() => navigator.hardwareConcurrency)
        out.chromiumWorkers = workers
        // Warm up (workers, WebAssembly, heaps), so the idle RSS below includes what every run needs.
        await pageRun(browser.page, { kind: 'random', mib: 16, workers })
      }
      // Opening a key with the scrypt parameters of IPFS-hosted repositories, next to restic.
      out.unlock = await measureUnlock({ root, page: browser?.page, repeats: Number(env('CAIRN_BENCH_RESTIC_UNLOCK_REPEATS') ?? (quick ? 3 : 5)), env: resticEnv, log })
      for (const kind of repeats > 0 ? kinds : []) {
        const src = join(root, `src-${kind}`)
        mkdirSync(src)
        writeData(join(src, 'data.bin'), mib, kind)
        const size = statSync(join(src, 'data.bin')).size // text: a piece ending exactly at 1 MiB is 1 byte short
        const rows: Array<Record<string, number>> = []
        const pageRows: PageRun[] = []
        for (let rep = 0; rep < repeats; rep++) {
          const theirs = join(root, `restic-${kind}`)
          execFileSync('restic', ['-r', theirs, 'init'], { env: resticEnv, stdio: 'ignore' })
          const rb = restic(['-r', theirs, 'backup', '--host', 'bench', src], resticEnv)
          const rr = restic(['-r', theirs, 'restore', 'latest', '--target', join(root, `out-restic-${kind}`)], resticEnv)
          rmSync(join(root, `out-restic-${kind}`), { recursive: true, force: true, maxRetries: 5 })
          rmSync(theirs, { recursive: true, force: true, maxRetries: 5 })
          const row: Record<string, number> = { resticBackupS: rb.s, resticRestoreS: rr.s, resticBackupRssMiB: rb.rssMiB, resticRestoreRssMiB: rr.rssMiB }

          if (targets.includes('node')) {
            const ours = join(root, `cairn-${kind}`)
            const repo = await Repository.init(new LocalBackend(ours), { password: PASSWORD, scrypt: { N: 16384, r: 8, p: 1 } })
            // Blobs on worker threads (one per core), as the CLI runs them.
            const pool = createNodeResticPool()
            const b = await nodeRun(async () => await backup(repo, new FsSource([src]), { hostname: 'bench', pool })).finally(() => { pool.close() })
            const pool2 = createNodeResticPool()
            const r = await nodeRun(async () => { const r = await Repository.open(new LocalBackend(ours), { password: PASSWORD }); await restore(r, await findSnapshot(r, 'latest'), new FsSink(join(root, `out-cairn-${kind}`)), { pool: pool2 }) }).finally(() => { pool2.close() })
            rmSync(join(root, `out-cairn-${kind}`), { recursive: true, force: true, maxRetries: 5 })
            rmSync(ours, { recursive: true, force: true, maxRetries: 5 })
            Object.assign(row, { nodeBackupS: b.s, nodeRestoreS: r.s, nodeBackupRssMiB: b.peakRssMiB, nodeRestoreRssMiB: r.peakRssMiB })
            log(`restic bench ${kind} #${rep + 1} (node): backup ${(mib / b.s).toFixed(1)} MiB/s (restic ${(mib / rb.s).toFixed(1)}), restore ${(mib / r.s).toFixed(1)} MiB/s (restic ${(mib / rr.s).toFixed(1)})`)
          }
          if (browser !== undefined) {
            const p = await pageRun(browser.page, { kind, mib, workers, backend: pageStore, skipEngineOnly })
            if (p.restoredBytes !== size) throw new Error(`the page restored ${p.restoredBytes} bytes of ${size}`)
            pageRows.push(p)
            Object.assign(row, { pageReadS: p.readS, pageBackupS: p.backupS, pageStoreS: p.storeS, pageRestoreS: p.restoreS })
            log(`restic bench ${kind} #${rep + 1} (chromium): backup with packs written (${pageStore}) ${(mib / p.storeS).toFixed(1)} MiB/s (restic ${(mib / rb.s).toFixed(1)}), restore ${(mib / p.restoreS).toFixed(1)} MiB/s (restic ${(mib / rr.s).toFixed(1)}), renderer RSS idle ${p.idleRssMiB} MiB, peaks ${JSON.stringify(p.peakRssMiB)}`)
          }
          rows.push(row)
        }
        rmSync(src, { recursive: true, force: true, maxRetries: 5 })
        const col = (k: string): number[] => rows.map(r => r[k] as number)
        const ratio = (theirs: string, ours: string): number[] => rows.map(r => (r[theirs] as number) / (r[ours] as number))
        const mibps = (k: string): ReturnType<typeof spread> => spread(col(k).map(s => mib / s), 1)
        const ref = {
          backupMiBps: mibps('resticBackupS'),
          restoreMiBps: mibps('resticRestoreS'),
          backupPeakRssMiB: spread(col('resticBackupRssMiB'), 1),
          restorePeakRssMiB: spread(col('resticRestoreRssMiB'), 1)
        }
        const res: Record<string, unknown> = { restic: ref }
        if (targets.includes('node')) {
          res.node = {
            backupRatio: spread(ratio('resticBackupS', 'nodeBackupS')),
            restoreRatio: spread(ratio('resticRestoreS', 'nodeRestoreS')),
            backupMiBps: mibps('nodeBackupS'),
            restoreMiBps: mibps('nodeRestoreS'),
            /** RSS of the whole Node process (it also drives Chromium). */
            backupPeakRssMiB: spread(col('nodeBackupRssMiB'), 1),
            restorePeakRssMiB: spread(col('nodeRestoreRssMiB'), 1)
          }
        }
        if (browser !== undefined) {
          const phasePeak = (name: PhaseName): ReturnType<typeof spread> => spread(pageRows.map(p => p.peakRssMiB[name] ?? 0), 1)
          const phaseHeap = (name: PhaseName): ReturnType<typeof spread> => spread(pageRows.map(p => p.phases.find(ph => ph.name === name)?.peakMainHeapMiB ?? 0), 1)
          res.chromium = {
            workers,
            goal: 0.5,
            store: pageStore,
            /** Backup with its packs written to the page's store (restic writes its packs too). */
            backupRatio: spread(ratio('resticBackupS', 'pageStoreS')),
            /** Restore from that store into a sink that counts bytes (restic writes files to disk). */
            restoreRatio: spread(ratio('resticRestoreS', 'pageRestoreS')),
            /** For reference only: the engine with pack bytes dropped (not comparable with restic). */
            ...(skipEngineOnly ? {} : { engineOnlyRatio: spread(ratio('resticBackupS', 'pageBackupS')), engineOnlyMiBps: mibps('pageBackupS') }),
            /** Reading the input file alone (PickedSource over an OPFS file), no engine. */
            readMiBps: mibps('pageReadS'),
            backupMiBps: mibps('pageStoreS'),
            restoreMiBps: mibps('pageRestoreS'),
            rendererIdleRssMiB: spread(pageRows.map(p => p.idleRssMiB), 1),
            rendererPeakRssMiB: { write: phasePeak('write'), engineOnly: phasePeak('backup'), backup: phasePeak('store'), restore: phasePeak('restore') },
            peakMainHeapMiB: { engineOnly: phaseHeap('backup'), backup: phaseHeap('store'), restore: phaseHeap('restore') }
          }
        }
        log(`restic bench ${kind}: ${JSON.stringify(res)}`)
        out[kind] = res
      }
      if (browser !== undefined && memoryRepeats > 0) {
        // Memory must not grow with the input: the same run at a quarter of the size, next to the
        // full one, alternating, `memoryRepeats` times each (peaks depend on when the GC runs).
        const small = Math.max(16, mib / 4)
        const runs = new Map<number, PageRun[]>([[small, []], [mib, []]])
        for (let rep = 0; rep < memoryRepeats; rep++) {
          for (const m of [small, mib]) {
            const p = await pageRun(browser.page, { kind: 'random', mib: m, workers, backend: pageStore, skipEngineOnly })
            runs.get(m)?.push(p)
            log(`restic bench memory #${rep + 1} (chromium, random ${m} MiB): renderer RSS idle ${p.idleRssMiB} MiB, peaks ${JSON.stringify(p.peakRssMiB)}`)
          }
        }
        const memory: Record<string, unknown> = {}
        const peak = (m: number, ph: PhaseName): number => median((runs.get(m) ?? []).map(p => p.peakRssMiB[ph] ?? 0))
        for (const [m, rows] of runs) {
          memory[`random${m}MiB`] = {
            rendererIdleRssMiB: spread(rows.map(p => p.idleRssMiB), 1),
            rendererPeakRssMiB: Object.fromEntries(MEMORY_PHASES.map(ph => [ph, spread(rows.map(p => p.peakRssMiB[ph] ?? 0), 1)])),
            peakMainHeapMiB: Object.fromEntries(MEMORY_PHASES.map(ph => [ph, spread(rows.map(p => p.phases.find(x => x.name === ph)?.peakMainHeapMiB ?? 0), 1)]))
          }
        }
        /** Median peak at the full size minus at the quarter size, per phase (MiB; ~0 when flat). */
        memory.growthMiB = Object.fromEntries(MEMORY_PHASES.map(ph => [ph, +(peak(mib, ph) - peak(small, ph)).toFixed(1)]))
        out.chromiumMemory = memory
        log(`restic bench memory: ${JSON.stringify(memory)}`)
      }
      return out
    } finally {
      await browser?.close()
      rmSync(root, { recursive: true, force: true, maxRetries: 5 })
    }
  }
}

export default suite
