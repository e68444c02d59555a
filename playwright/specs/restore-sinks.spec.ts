/**
 * The Backups page's restore sinks in Chromium: a snapshot with hostile node names ("..",
 * "../../evil", "a/b", "win\dir", …) restored into the origin private file system (the File
 * System Access API) and as zip entries. Nothing lands outside the target folder or the zip's top
 * folder, every valid sibling is restored, and each refused node is named in the error.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'vite'
import { chromium } from 'playwright-core'
import { expect, newGuardedContext, test } from '../fixtures.js'
import { chromiumLaunchOptions } from '../browser.js'
import { startStaticServer } from '../../src/node/serve/static-server.js'
import { NAME_RULE_REFUSED } from '../../test/unit/restic/hostile.js'

test('restores into a folder and a zip refuse hostile names and keep the rest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-sinks-'))
  await build({
    configFile: false,
    root: join(import.meta.dirname, '../harness/restore-sinks'),
    base: './',
    logLevel: 'error',
    build: { outDir: join(dir, 'site'), emptyOutDir: true, target: 'es2022' }
  })
  const site = await startStaticServer({ root: join(dir, 'site') })
  const browser = await chromium.launch(chromiumLaunchOptions())
  const guarded = await newGuardedContext(browser)
  try {
    const page = await guarded.context.newPage()
    await page.goto(site.url)
    await page.waitForFunction(() => (globalThis as { sinksHarness?: unknown }).sinksHarness !== undefined)
    type Outcome = { errors: Array<{ path: string, code?: string }>, message: string }
    type Result = { folder?: Outcome, opfs: Record<string, string>, zipped?: Outcome, zip: string[] }
    const r = await page.evaluate(async () => await (globalThis as unknown as { sinksHarness: { run: () => Promise<Result> } }).sinksHarness.run())
    // The browser refuses "\" too: a separator in Windows folders and for zip extractors.
    const refused = [...NAME_RULE_REFUSED, '/"back\\\\slash"', '/"win\\\\dir"'].sort()
    for (const out of [r.folder, r.zipped]) {
      expect(out?.errors.map(e => e.path).sort()).toEqual(refused)
      expect(out?.errors.every(e => e.code === 'ERR_UNSAFE_NAME')).toBe(true)
      expect(out?.message).toContain('invalid child node name "../../evil" in /')
    }
    expect(r.opfs).toEqual({ target: 'dir', 'target/ok.txt': 'file:fine\n', 'target/sub': 'dir', 'target/sub/inner.txt': 'file:inner\n' })
    expect(r.zip).toEqual(['snap/ok.txt=fine\n', 'snap/sub/', 'snap/sub/inner.txt=inner\n'])
  } finally {
    await browser.close()
    await site.close()
    await rm(dir, { recursive: true, force: true, maxRetries: 5 })
  }
  expect(guarded.violations).toEqual([])
})
