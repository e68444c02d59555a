/**
 * User content never runs as the app, even when no service worker controls the page (a first
 * visit, Shift+reload): every URL the preview exposes, and every download, is opened in a tab of
 * its own, and no script from the files reaches the app origin's storage.
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, newGuardedContext, openApp, test } from '../fixtures.js'
import type { BrowserContext, Page } from '@playwright/test'

const MARK = 'cairn-pwned'
/** Script that records where it ran: the app origin's localStorage, if it can reach it. */
const SET = (who: string): string => `try{localStorage.setItem('${MARK}',(localStorage.getItem('${MARK}')||'')+' ${who}@'+location.href)}catch(e){}`

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="${SET('svg-onload')}"><script>${SET('svg-script')}</script><rect width="40" height="40" fill="red"/></svg>`
const FILES: Record<string, string> = {
  'evil.svg': SVG,
  'evil.html': `<!doctype html><script>${SET('html')}</script><img src=x onerror="${SET('html-onerror')}">`,
  'evil.xhtml': `<html xmlns="http://www.w3.org/1999/xhtml"><body><script>${SET('xhtml')}</script></body></html>`,
  // An SVG behind a raster name: its Blob is typed image/png, which never runs.
  'disguised.png': SVG
}

async function addFolder (page: Page): Promise<void> {
  const dir = join(await mkdtemp(join(tmpdir(), 'cairn-sandbox-')), 'active')
  await mkdir(dir)
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text)
  await page.getByTestId('add-folder').setInputFiles(dir)
  await expect(page.getByTestId('notice')).toContainText('Added and pinned')
  await page.locator('[data-testid="library"] tr', { hasText: 'active' }).getByRole('button', { name: 'Open' }).click()
  await expect(page.getByTestId('entries')).toBeVisible()
}

/** Opens `url` as a top-level page of the same context, lets any script run, and closes it. */
async function visit (context: BrowserContext, url: string): Promise<void> {
  const tab = await context.newPage()
  try {
    await tab.goto(url, { timeout: 10_000 }).catch(() => {}) // a download ends the navigation
    await tab.waitForTimeout(300)
  } finally {
    await tab.close()
  }
}

async function marker (page: Page): Promise<string | null> {
  return await page.evaluate((k) => localStorage.getItem(k), MARK)
}

test('with service workers blocked, previews and downloads of SVG/HTML never run script on the app origin', async ({ browser }) => {
  const g = await newGuardedContext(browser, { serviceWorkers: 'block', acceptDownloads: true })
  try {
    const page = await openApp(g.context, 'files')
    expect(await page.evaluate(() => navigator.serviceWorker?.controller ?? null)).toBeNull()

    // The check can fail: a same-origin blob: URL typed image/svg+xml runs its script as the app.
    const control = await page.evaluate((svg) => URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' })), SVG)
    await visit(g.context, control)
    expect(await marker(page)).toContain('svg-script@blob:')
    await page.evaluate((k) => { localStorage.removeItem(k) }, MARK)

    await addFolder(page)
    const exposed: string[] = []
    for (const name of Object.keys(FILES)) {
      await page.getByTestId('entries').getByRole('button', { name }).click()
      const preview = page.getByTestId('preview')
      await expect(preview).toBeVisible()
      if (name.endsWith('.svg') || name.endsWith('.png')) {
        const img = preview.locator('img')
        await expect(img).toHaveCount(1)
        if (name.endsWith('.svg')) await expect.poll(async () => img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(40)
      } else {
        // Markup is shown as text, never rendered.
        await expect(preview.getByTestId('preview-text')).toContainText('<script>')
      }
      // Each URL is opened while the preview shows it (what "open image in new tab" does).
      const urls: string[] = []
      for (const el of await preview.locator('[src], [href]').all()) {
        urls.push(await el.getAttribute('src') ?? await el.getAttribute('href') ?? '')
      }
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()])
      urls.push(download.url())
      for (const url of urls) await visit(g.context, url)
      exposed.push(...urls)
      await page.getByTestId('crumb-root').click()
      await expect(page.getByTestId('entries')).toBeVisible()
    }
    // Two URLs per image (preview, download), one per text file (download).
    expect(exposed.length).toBe(2 + 2 + 1 + 1)
    expect(await marker(page), `script ran on the app origin; exposed: ${exposed.join(' ')}`).toBeNull()
    // The SVG is shown from a data: URL (an opaque origin), never a same-origin one.
    expect(exposed.filter(u => u.startsWith('data:image/svg+xml'))).toHaveLength(1)
  } finally {
    await g.context.close()
  }
  expect(g.violations).toEqual([])
})
