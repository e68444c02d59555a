/**
 * Picked files are read through byte-stream (BYOB) readers. In Chromium a Blob's byte stream that
 * only its own pending read refers to was garbage-collected with that read, which then never
 * settled, so a backup could hang. This reads files through `PickedSource` with a full GC after
 * every piece (a bench-like harness page, built here, in a Chromium started with --expose-gc).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'vite'
import { chromium } from 'playwright-core'
import { expect, newGuardedContext, test } from '../fixtures.js'
import { chromiumLaunchOptions } from '../browser.js'
import { startStaticServer } from '../../src/node/serve/static-server.js'

test('picked files are read to the end while the page collects garbage after every piece', async () => {
  test.setTimeout(180_000)
  const dir = await mkdtemp(join(tmpdir(), 'cairn-picked-'))
  await build({
    configFile: false,
    root: join(import.meta.dirname, '../harness/picked-source'),
    base: './',
    logLevel: 'error',
    build: { outDir: join(dir, 'site'), emptyOutDir: true, target: 'es2022' }
  })
  const site = await startStaticServer({ root: join(dir, 'site') })
  const opts = chromiumLaunchOptions()
  const browser = await chromium.launch({ ...opts, args: [...(opts.args ?? []), '--js-flags=--expose-gc'] })
  const guarded = await newGuardedContext(browser)
  try {
    const page = await guarded.context.newPage()
    await page.goto(site.url)
    await page.waitForFunction(() => (globalThis as { pickedHarness?: unknown }).pickedHarness !== undefined)
    // 8 reads of 64 MiB: before the readers were held, most such reads stalled for good.
    type Harness = { readCollecting: (mib: number, times: number) => Promise<number[]>, progress: { pieces: number } }
    const reads = page.evaluate(async () => await (globalThis as unknown as { pickedHarness: Harness }).pickedHarness.readCollecting(64, 8))
    let done = false
    reads.then(() => { done = true }, () => { done = true })
    // A stalled read never settles: watch the pieces from outside the page.
    let last = -1
    let since = Date.now()
    while (!done) {
      const pieces = await page.evaluate(() => (globalThis as unknown as { pickedHarness: Harness }).pickedHarness.progress.pieces)
      if (pieces !== last) { last = pieces; since = Date.now() }
      if (Date.now() - since > 15_000) throw new Error(`reading a picked file stalled after ${pieces} pieces (1 MiB each) with no progress for 15 s`)
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    expect(await reads).toEqual(Array(8).fill(64 * 1024 * 1024))
  } finally {
    await browser.close()
    await site.close()
    await rm(dir, { recursive: true, force: true, maxRetries: 5 })
  }
  expect(guarded.violations).toEqual([])
})
