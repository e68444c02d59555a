/**
 * The Backups page's features of issue #16 in real Chromium against the local network: two
 * snapshots of a folder tree made in the page, then
 * - the snapshots table sorted by host and filtered by tag, host and path;
 * - several entries picked in the snapshot browser restored at once as a .tar, a .zip and into a
 *   folder (the origin private file system stands in for the folder picker), each compared byte
 *   for byte with the originals;
 * - a whole snapshot downloaded as a .tar with the progress bar showing files and bytes of the
 *   total, rate and ETA;
 * - find across snapshots and the snapshot diff, compared with what changed on disk;
 * - a damaged snapshot file named above the table with what to do, the other snapshot still listed.
 * Each new view is pictured at 1280 and 390 px under test-results/screenshots/.
 */
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { expect, openApp, test } from '../fixtures.js'
import type { Locator, Page, TestInfo } from '@playwright/test'

const run = promisify(execFile)
const PASSWORD = 'correct horse battery staple 42'
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function hashTree (root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  async function walk (dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) await walk(p)
      else out.set(relative(root, p), sha(await readFile(p)))
    }
  }
  await walk(root)
  return out
}

async function backUp (page: Page, src: string, host: string, tags: string): Promise<void> {
  await page.getByTestId('backup-folder').setInputFiles(src)
  await page.locator('input[name="host"]').fill(host)
  await page.locator('input[name="tags"]').fill(tags)
  await page.getByTestId('start-backup').click()
  await expect(page.getByTestId('backup-notice')).toContainText('Snapshot', { timeout: 300_000 })
}

async function download (page: Page, click: () => Promise<void>): Promise<Buffer> {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 180_000 }), click()])
  return await readFile(await d.path())
}

async function picture (page: Page, info: TestInfo, name: string, parts: Array<[string, Locator]>): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 })
    for (const [part, loc] of parts) await loc.screenshot({ path: join(info.project.outputDir, 'screenshots', `backups-${name}-${part}-${width}.png`) })
    const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }))
    expect.soft(sizes.scroll, `the page is wider than the ${width} px window (${name})`).toBeLessThanOrEqual(sizes.view)
  }
  await page.setViewportSize({ width: 1280, height: 900 })
}

test('snapshots table, multi-entry restore (tar, zip, folder), restore progress, find, diff and a damaged snapshot in the page', async ({ guarded }, info) => {
  test.setTimeout(900_000)
  const work = await mkdtemp(join(tmpdir(), 'cairn-backup-features-'))
  try {
    const src = join(work, 'tree')
    await mkdir(join(src, 'docs/sub'), { recursive: true })
    await mkdir(join(src, 'photos'), { recursive: true })
    await mkdir(join(src, 'big'), { recursive: true })
    await writeFile(join(src, 'docs/a.txt'), 'alpha\n')
    await writeFile(join(src, 'docs/b.txt'), 'beta\n')
    await writeFile(join(src, 'docs/sub/c.bin'), randomBytes(3 * 1024 * 1024))
    await writeFile(join(src, 'docs/sub/d.txt'), 'delta\n')
    await writeFile(join(src, 'photos/x.jpg'), randomBytes(3000))
    await writeFile(join(src, 'photos/y.JPG'), randomBytes(2000))
    await writeFile(join(src, 'big/large.bin'), randomBytes(24 * 1024 * 1024))

    const page = await openApp(guarded.context, 'backups')
    const form = page.getByTestId('create-repo')
    await form.getByLabel('Name').fill('Features')
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await form.getByLabel('Password again').fill(PASSWORD)
    await form.getByRole('button', { name: 'Create' }).click()
    await expect(page.getByTestId('repo-name')).toHaveText(/^k51/, { timeout: 60_000 })

    await backUp(page, src, 'laptop', 'daily')
    // What changes between the two snapshots.
    await writeFile(join(src, 'docs/a.txt'), 'alpha, edited\n')
    await unlink(join(src, 'docs/b.txt'))
    await writeFile(join(src, 'docs/new.md'), '# new\n')
    await writeFile(join(src, 'photos/z.jpg'), randomBytes(100))
    await backUp(page, src, 'phone', 'manual, daily')
    const want = await hashTree(src)

    const rows = page.locator('[data-testid="snapshots"] tbody tr[data-snapshot]')
    await expect(rows).toHaveCount(2)
    const [newer, older] = [await rows.nth(0).getAttribute('data-snapshot'), await rows.nth(1).getAttribute('data-snapshot')] as [string, string]
    await expect(rows.nth(0).getByTestId('snapshot-host')).toHaveText('phone')

    // Sort by host: ascending, then descending.
    const hosts = async (): Promise<string[]> => await rows.getByTestId('snapshot-host').allTextContents()
    await page.locator('button[data-sort="host"]').click()
    expect(await hosts()).toEqual(['laptop', 'phone'])
    await page.locator('button[data-sort="host"]').click()
    expect(await hosts()).toEqual(['phone', 'laptop'])
    // Filter by tag, host and path.
    const filters = page.getByTestId('snapshot-filters')
    await filters.locator('select[name="filter-tag"]').selectOption('manual')
    await expect(rows).toHaveCount(1)
    await expect(rows.first()).toHaveAttribute('data-snapshot', newer)
    await filters.locator('select[name="filter-tag"]').selectOption('')
    await filters.locator('select[name="filter-host"]').selectOption('laptop')
    await expect(rows).toHaveCount(1)
    await expect(rows.first()).toHaveAttribute('data-snapshot', older)
    await expect(page.getByTestId('snapshot-count')).toContainText('1 of 2 shown')
    await filters.locator('select[name="filter-host"]').selectOption('')
    await filters.locator('input[name="filter-path"]').fill('no such path')
    await expect(rows).toHaveCount(0)
    await expect(page.locator('[data-testid="snapshots"] tbody')).toContainText('No snapshot matches the filter')
    await filters.locator('input[name="filter-path"]').fill('TREE')
    await expect(rows).toHaveCount(2)
    await filters.locator('select[name="filter-tag"]').selectOption('daily')
    await picture(page, info, 'table', [['snapshots', page.locator('.card', { has: page.getByTestId('snapshots') })]])
    await filters.locator('input[name="filter-path"]').fill('')
    await filters.locator('select[name="filter-tag"]').selectOption('')
    await page.locator('button[data-sort="time"]').click() // back to newest first
    await expect(rows.first()).toHaveAttribute('data-snapshot', newer)

    // A whole snapshot as a .tar, with a progress bar that counts files and bytes of the total, rate and ETA.
    await page.evaluate(() => {
      const seen: string[] = []
      ;(globalThis as { progressSeen?: string[] }).progressSeen = seen
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid="progress"] small')) seen.push(el.textContent ?? '')
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
    })
    const whole = await download(page, async () => { await rows.first().getByRole('button', { name: 'Download .tar' }).click() })
    await expect(page.getByTestId('restore-notice')).toContainText('Restored 8 files')
    const seen = await page.evaluate(() => (globalThis as { progressSeen?: string[] }).progressSeen ?? [])
    expect(seen.some(t => /^\d+ of 8 files · [\d.]+ \w+ of 27\.\d+ MiB · [\d.]+ \w+\/s · .*s left/.test(t)), seen.slice(-5).join(' | ')).toBe(true)
    await writeFile(join(work, 'whole.tar'), whole)
    await mkdir(join(work, 'whole'))
    await run('tar', ['-xf', join(work, 'whole.tar'), '-C', join(work, 'whole')])
    expect(await hashTree(join(work, `whole/snapshot-${newer.slice(0, 8)}/tree`))).toEqual(want)

    // Pick entries in two folders of the newer snapshot: docs/a.txt, docs/sub (a folder) and photos.
    await rows.first().getByRole('button', { name: 'Browse' }).click()
    const browser = page.getByTestId('snapshot-browser')
    await browser.locator('tr[data-entry="tree"] a').click()
    await browser.locator('tr[data-entry="docs"] a').click()
    await expect(browser).toHaveAttribute('data-path', '/tree/docs')
    await browser.locator('tr[data-entry="a.txt"] input[name="pick"]').check()
    await browser.locator('tr[data-entry="sub"] input[name="pick"]').check()
    await browser.getByRole('link', { name: 'tree' }).click()
    await browser.locator('tr[data-entry="photos"] input[name="pick"]').check()
    const selection = browser.getByTestId('selection')
    await expect(selection).toHaveAttribute('data-count', '3')
    await expect(selection).toContainText('/tree/docs/a.txt')
    await picture(page, info, 'browser', [['selection', browser]])
    const picked = ['docs/a.txt', 'docs/sub/c.bin', 'docs/sub/d.txt', 'photos/x.jpg', 'photos/y.JPG', 'photos/z.jpg']
    const wantPicked = new Map(picked.map(p => [p, want.get(p)]))

    // …as one .tar: one progress, entries below the folder that holds them all ("tree").
    const tar = await download(page, async () => { await selection.getByRole('button', { name: 'Download .tar' }).click() })
    await expect(browser.getByTestId('restore-notice')).toContainText('Restored 6 files')
    await writeFile(join(work, 'picked.tar'), tar)
    await mkdir(join(work, 'picked-tar'))
    await run('tar', ['-xf', join(work, 'picked.tar'), '-C', join(work, 'picked-tar')])
    expect(await hashTree(join(work, 'picked-tar/tree'))).toEqual(wantPicked)
    // …as one .zip.
    const zip = await download(page, async () => { await selection.getByRole('button', { name: 'Download .zip' }).click() })
    await writeFile(join(work, 'picked.zip'), zip)
    await run('unzip', ['-q', join(work, 'picked.zip'), '-d', join(work, 'picked-zip')])
    expect(await hashTree(join(work, 'picked-zip/tree'))).toEqual(wantPicked)
    // …into a folder: the folder picker hands over a folder of the origin private file system.
    await page.evaluate(() => {
      (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker = async () => await (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true })
    })
    await selection.getByRole('button', { name: 'Restore to a folder' }).click()
    await expect(browser.getByTestId('restore-notice')).toContainText('Restored 6 files', { timeout: 120_000 })
    await expect(browser.getByTestId('restore-notice')).toContainText('into the folder')
    const inFolder = await page.evaluate(async () => {
      const out: Record<string, string> = {}
      async function walk (d: FileSystemDirectoryHandle, prefix: string): Promise<void> {
        for await (const [name, h] of (d as unknown as { entries: () => AsyncIterable<[string, FileSystemHandle]> }).entries()) {
          if (h.kind === 'directory') await walk(h as FileSystemDirectoryHandle, `${prefix}${name}/`)
          else {
            const bytes = new Uint8Array(await (await (h as FileSystemFileHandle).getFile()).arrayBuffer())
            out[prefix + name] = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), b => b.toString(16).padStart(2, '0')).join('')
          }
        }
      }
      await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle('picked'), '')
      return out
    })
    expect(new Map(Object.entries(inFolder))).toEqual(wantPicked)

    // Cancel, as the progress bar's button does it (the task's signal): each long operation stops with an abort.
    const cancelled = await page.evaluate(async ({ from, to }) => {
      const b = globalThis.cairn!.backups
      const out: string[] = []
      const stop = (c: AbortController) => () => { c.abort(new DOMException('Cancelled by the user.', 'AbortError')) }
      const c1 = new AbortController()
      await b.restoreSelection(to, [['tree', 'big'], ['tree', 'docs']], { kind: 'tar' }, { signal: c1.signal, onProgress: stop(c1) }).then(() => { out.push('restore finished') }, (e: Error) => { out.push(`restore ${e.name}`) })
      const c2 = new AbortController()
      try { for await (const _ of b.find('*', { signal: c2.signal, onProgress: stop(c2) })) { /* drain */ } out.push('find finished') } catch (e) { out.push(`find ${(e as Error).name}`) }
      const c3 = new AbortController()
      try { for await (const _ of b.diff(from, to, { signal: c3.signal, onProgress: stop(c3) })) { /* drain */ } out.push('diff finished') } catch (e) { out.push(`diff ${(e as Error).name}`) }
      return out
    }, { from: older, to: newer })
    expect(cancelled).toEqual(['restore AbortError', 'find AbortError', 'diff AbortError'])

    // Find across snapshots.
    const find = page.getByTestId('find')
    await find.locator('summary').click()
    await find.locator('input[name="find-pattern"]').fill('*.jpg')
    await find.getByRole('button', { name: 'Find' }).click()
    await expect(find.getByTestId('find-summary')).toContainText('5 matches', { timeout: 120_000 })
    const hits = await find.locator('[data-testid="find-results"] tbody tr').evaluateAll(trs => trs.map(tr => `${(tr as HTMLElement).dataset.snapshot?.slice(0, 8) ?? ''} ${(tr as HTMLElement).dataset.path ?? ''}`))
    const n8 = newer.slice(0, 8)
    const o8 = older.slice(0, 8)
    expect(hits).toEqual([`${n8} /tree/photos/x.jpg`, `${n8} /tree/photos/y.JPG`, `${n8} /tree/photos/z.jpg`, `${o8} /tree/photos/x.jpg`, `${o8} /tree/photos/y.JPG`])
    await find.locator('input[name="find-pattern"]').fill('nothing-*-here')
    await find.getByRole('button', { name: 'Find' }).click()
    await expect(find.getByTestId('find-summary')).toContainText('Nothing matches')
    await find.locator('input[name="find-pattern"]').fill('*.txt')
    await find.getByRole('button', { name: 'Find' }).click()
    await expect(find.getByTestId('find-summary')).toContainText('5 matches')
    await picture(page, info, 'find', [['find', find]])
    // A match opens the browser at its folder.
    await find.locator(`[data-testid="find-results"] tr[data-snapshot="${older}"][data-path="/tree/docs/b.txt"]`).getByRole('button', { name: 'Show' }).click()
    await expect(browser).toHaveAttribute('data-path', '/tree/docs')
    await expect(browser.locator('tr[data-entry="b.txt"]')).toHaveCount(1)

    // The diff, older → newer.
    const diff = page.getByTestId('diff')
    await diff.locator('summary').click()
    await expect(diff.locator('select[name="diff-from"]')).toHaveValue(older)
    await expect(diff.locator('select[name="diff-to"]')).toHaveValue(newer)
    await diff.getByRole('button', { name: 'Compare' }).click()
    await expect(diff.getByTestId('diff-stats')).toBeVisible({ timeout: 120_000 })
    const changes = await diff.locator('[data-testid="diff-changes"] li').evaluateAll(lis => lis.map(li => `${(li as HTMLElement).dataset.change ?? ''} ${(li as HTMLElement).dataset.path ?? ''}`))
    expect(changes).toEqual(['modified /tree/docs/a.txt', 'removed /tree/docs/b.txt', 'added /tree/docs/new.md', 'added /tree/photos/z.jpg'])
    await expect(diff.getByTestId('diff-summary')).toContainText('2 added · 1 removed · 1 modified')
    await expect(diff.getByTestId('diff-stats')).toContainText('Files modified1')
    await picture(page, info, 'diff', [['diff', diff]])

    // A damaged snapshot file: the older one no longer decrypts. The list names it and says what to do.
    await page.evaluate(async ({ id }) => {
      const backend = globalThis.cairn!.backups.session().backend
      const h = { type: 'snapshots' as const, name: id }
      const data = await backend.read(h)
      data[data.length - 3] = (data[data.length - 3] ?? 0) ^ 0xff
      await backend.remove(h)
      await backend.write(h, data)
      await globalThis.cairn!.backups.refreshSnapshots()
    }, { id: older })
    const skipped = page.getByTestId('skipped-snapshots')
    await expect(skipped).toContainText(`Snapshot ${o8}`)
    await expect(skipped).toContainText(/MAC|authenticat|damaged/i)
    await expect(skipped).toContainText('Check (read all data)')
    await expect(skipped).toContainText('repair snapshots')
    await expect(rows).toHaveCount(1)
    await expect(rows.first()).toHaveAttribute('data-snapshot', newer)
    await picture(page, info, 'skipped', [['snapshots', page.locator('.card', { has: page.getByTestId('snapshots') })]])
  } finally {
    await rm(work, { recursive: true, force: true })
  }
})
