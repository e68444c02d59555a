/**
 * restic engine throughput against real restic 0.14 on the same bytes, in the same run: backup of
 * random and text-like data (512 MiB each; 64 MiB with --quick) into fresh v2 repositories, then
 * restore, in Node (the engine on the calling thread) and in Chromium (a bench-only page built from
 * page/: blobs on a Web Worker pool, the data generated in a worker and streamed, the timed backup
 * into a backend that drops pack bytes, the restore from packs kept as Blobs). Ratios are restic's
 * time over ours (1 = as fast as restic), with peak memory: restic's max RSS, and the Chromium
 * renderer's RSS (page and workers; idle = after a warm-up run).
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
import type { RunRequest, RunResult } from './page/main.js'
import { LocalBackend } from '../../src/node/restic/local-backend.js'
import { FsSource } from '../../src/node/restic/fs-source.js'
import { FsSink } from '../../src/node/restic/fs-sink.js'
import { Chunker, Repository, backup, findSnapshot, restore } from '../../src/restic/index.js'
import type { BenchSuite } from '../suite.js'

const MiB = 1024 * 1024
const PASSWORD = 'bench'

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

/** Resident memory (MiB) of Chromium's renderer processes started by this Node process. */
function rendererRssMiB (): number {
  const procs: Array<{ pid: number, ppid: number, renderer: boolean, rssKiB: number }> = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8')
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1])
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
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
async function openChromium (root: string, dir: string): Promise<Chromium> {
  const out = join(dir, 'page')
  execFileSync('npx', ['vite', 'build', '-c', join(root, 'bench/restic/vite.config.ts')], { cwd: root, stdio: 'inherit', env: { ...process.env, CAIRN_BENCH_OUT: out } })
  const site = await startStaticServer({ root: out })
  const opts = chromiumLaunchOptions()
  // A persistent profile: the origin private file system of an incognito context is kept in memory.
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), { ...opts, args: [...(opts.args ?? []), '--enable-precise-memory-info'] })
  // tsx (esbuild, keepNames) wraps named functions in __name(); the page needs it defined.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f' })
  const page = await context.newPage()
  await page.goto(site.url)
  await page.waitForFunction(() => (globalThis as { resticBench?: unknown }).resticBench !== undefined)
  return { context, page, close: async () => { await context.close(); await site.close() } }
}

/** One run in the page, sampling the renderers' RSS meanwhile. */
async function pageRun (page: Page, req: RunRequest): Promise<RunResult & { idleRssMiB: number, peakRssMiB: number }> {
  const idle = rendererRssMiB()
  let peak = idle
  const timer = setInterval(() => { peak = Math.max(peak, rendererRssMiB()) }, 100)
  try {
    const r = await page.evaluate(async (q) => await (globalThis as unknown as { resticBench: { run: (q: RunRequest) => Promise<RunResult> } }).resticBench.run(q), req)
    return { ...r, idleRssMiB: idle, peakRssMiB: Math.max(peak, rendererRssMiB()) }
  } finally {
    clearInterval(timer)
  }
}
async function timeAsync<T> (f: () => Promise<T>): Promise<[T, number]> { const t = performance.now(); const r = await f(); return [r, (performance.now() - t) / 1000] }

const suite: BenchSuite = {
  name: 'restic',
  async run ({ root: repoRoot, quick, log }) {
    const mib = quick ? 64 : 512
    const root = mkdtempSync(join(tmpdir(), 'cairn-bench-restic-'))
    const env = { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(root, 'cache') }
    const out: Record<string, unknown> = { mib }
    let browser: Chromium | undefined
    try {
      browser = await openChromium(repoRoot, root)
      const workers = await browser.page.evaluate(() => navigator.hardwareConcurrency)
      out.chromiumWorkers = workers
      // Warm up (workers, WebAssembly, heaps), so the idle RSS below includes what every run needs.
      await pageRun(browser.page, { kind: 'random', mib: 16, workers })
      for (const kind of ['random', 'text'] as const) {
        const src = join(root, `src-${kind}`)
        mkdirSync(src)
        writeData(join(src, 'data.bin'), mib, kind)
        const size = statSync(join(src, 'data.bin')).size // text: a piece ending exactly at 1 MiB is 1 byte short

        const theirs = join(root, `restic-${kind}`)
        execFileSync('restic', ['-r', theirs, 'init'], { env, stdio: 'ignore' })
        const rb = restic(['-r', theirs, 'backup', '--host', 'bench', src], env)
        const rr = restic(['-r', theirs, 'restore', 'latest', '--target', join(root, `out-restic-${kind}`)], env)
        rmSync(join(root, `out-restic-${kind}`), { recursive: true, force: true })
        rmSync(theirs, { recursive: true, force: true })

        const chunker = new Chunker(0x3da3358b4dc173n)
        const [, chunkS] = await timeAsync(async () => { let n = 0; for await (const c of chunker.chunks(new FsSource([src]).open([...src.split('/').filter(Boolean), 'data.bin']))) n += c.length; return n })

        const ours = join(root, `cairn-${kind}`)
        const repo = await Repository.init(new LocalBackend(ours), { password: PASSWORD, scrypt: { N: 16384, r: 8, p: 1 } })
        const [, cairnS] = await timeAsync(async () => await backup(repo, new FsSource([src]), { hostname: 'bench' }))
        const [, cairnRestoreS] = await timeAsync(async () => { const r = await Repository.open(new LocalBackend(ours), { password: PASSWORD }); await restore(r, await findSnapshot(r, 'latest'), new FsSink(join(root, `out-cairn-${kind}`))) })
        rmSync(join(root, `out-cairn-${kind}`), { recursive: true, force: true })
        rmSync(ours, { recursive: true, force: true })

        const node = {
          chunkerMiBps: +(mib / chunkS).toFixed(1),
          cairnBackupMiBps: +(mib / cairnS).toFixed(1),
          resticBackupMiBps: +(mib / rb.s).toFixed(1),
          backupRatio: +(rb.s / cairnS).toFixed(3),
          cairnRestoreMiBps: +(mib / cairnRestoreS).toFixed(1),
          resticRestoreMiBps: +(mib / rr.s).toFixed(1),
          restoreRatio: +(rr.s / cairnRestoreS).toFixed(3),
          resticBackupPeakRssMiB: rb.rssMiB,
          resticRestorePeakRssMiB: rr.rssMiB
        }
        log(`restic bench ${kind} (node): ${JSON.stringify(node)}`)
        rmSync(src, { recursive: true, force: true })

        const p = await pageRun(browser.page, { kind, mib, workers })
        if (p.restoredBytes !== size) throw new Error(`the page restored ${p.restoredBytes} bytes of ${size}`)
        const page = {
          workers: p.workers ? workers : 0,
          cairnBackupMiBps: +(mib / p.backupS).toFixed(1),
          resticBackupMiBps: node.resticBackupMiBps,
          backupRatio: +(rb.s / p.backupS).toFixed(3),
          cairnRestoreMiBps: +(mib / p.restoreS).toFixed(1),
          resticRestoreMiBps: node.resticRestoreMiBps,
          restoreRatio: +(rr.s / p.restoreS).toFixed(3),
          goal: 0.5,
          /** Generating the data in the page (included in the backup time). */
          generateMiBps: +(mib / p.generateS).toFixed(1),
          rendererIdleRssMiB: +p.idleRssMiB.toFixed(1),
          rendererPeakRssMiB: +p.peakRssMiB.toFixed(1),
          rendererGrowthMiB: +(p.peakRssMiB - p.idleRssMiB).toFixed(1),
          peakMainHeapMiB: +p.peakMainHeapMiB.toFixed(1),
          resticBackupPeakRssMiB: rb.rssMiB,
          resticRestorePeakRssMiB: rr.rssMiB
        }
        log(`restic bench ${kind} (chromium): ${JSON.stringify(page)}`)
        out[kind] = node
        out[`chromium_${kind}`] = page
      }
      // Memory must not grow with the input: the same backup and restore at a quarter of the size.
      const small = mib / 4
      const p = await pageRun(browser.page, { kind: 'random', mib: small, workers })
      out.chromiumMemory = {
        [`random${small}MiB`]: { rendererGrowthMiB: +(p.peakRssMiB - p.idleRssMiB).toFixed(1), peakMainHeapMiB: +p.peakMainHeapMiB.toFixed(1) },
        [`random${mib}MiB`]: { rendererGrowthMiB: (out.chromium_random as { rendererGrowthMiB: number }).rendererGrowthMiB, peakMainHeapMiB: (out.chromium_random as { peakMainHeapMiB: number }).peakMainHeapMiB }
      }
      return out
    } finally {
      await browser?.close()
      rmSync(root, { recursive: true, force: true })
    }
  }
}

export default suite
