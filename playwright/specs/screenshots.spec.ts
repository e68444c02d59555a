/**
 * Every page, empty and with content, at a desktop (1280 px) and a phone (390 px) width: the
 * heading is visible and nothing overflows sideways. Full-page screenshots are saved under
 * test-results/screenshots/ for a person to look at.
 */
import { join } from 'node:path'
import { expect, openApp, test } from '../fixtures.js'
import type { Page, TestInfo } from '@playwright/test'

const PAGES: Array<{ route: string, heading: string }> = [
  { route: 'node', heading: 'Node' },
  { route: 'files', heading: 'Files' },
  { route: 'names', heading: 'Names (IPNS)' },
  { route: 'backups', heading: 'Backups' },
  { route: 'storage', heading: 'Storage' },
  { route: 'settings', heading: 'Settings' }
]
const PASSWORD = 'correct horse battery staple 42'

async function visitAll (page: Page, width: number, state: string, info: TestInfo): Promise<void> {
  for (const { route, heading } of PAGES) {
    await page.evaluate((r) => { location.hash = `#/${r}` }, route)
    await expect(page.getByRole('heading', { level: 2, name: heading, exact: true })).toBeVisible()
    await page.waitForTimeout(300) // let lists that load on entry settle before the picture
    await page.screenshot({ path: join(info.project.outputDir, 'screenshots', `${width}-${route}-${state}.png`), fullPage: true })
    const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }))
    // Soft: every page is still pictured when one overflows.
    expect.soft(sizes.scroll, `${route} (${state}) is wider than the ${width} px window`).toBeLessThanOrEqual(sizes.view)
  }
}

for (const width of [1280, 390]) {
  test(`every page at ${width} px, empty and with content`, async ({ guarded }, info) => {
    test.setTimeout(180_000)
    const page = await openApp(guarded.context, 'node')
    await page.setViewportSize({ width, height: 900 })
    await visitAll(page, width, 'empty', info)

    // Content: a file and a folder, a name, an open repository.
    await page.evaluate(() => { location.hash = '#/files' })
    await page.getByTestId('add-files').setInputFiles({ name: 'readme.md', mimeType: 'text/markdown', buffer: Buffer.from('# Hello\n\nA small file.\n') })
    await expect(page.getByTestId('notice')).toContainText('Added and pinned')
    await page.locator('[data-testid="library"] tr[data-cid]', { hasText: 'readme.md' }).getByRole('button', { name: 'Open' }).click()
    await expect(page.getByTestId('preview-text')).toContainText('Hello')

    await page.evaluate(() => { location.hash = '#/names' })
    await page.getByPlaceholder('New key name').fill('site')
    await page.getByRole('button', { name: 'Create key' }).click()
    await expect(page.locator('[data-testid="keys"] tr[data-key="site"]')).toBeVisible()

    await page.evaluate(() => { location.hash = '#/backups' })
    const form = page.getByTestId('create-repo')
    await form.getByLabel('Name').fill('Photos')
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await form.getByLabel('Password again').fill(PASSWORD)
    await form.getByRole('button', { name: 'Create' }).click()
    await expect(page.getByTestId('repo-name')).toHaveText(/^k51/, { timeout: 60_000 })
    await page.getByTestId('backup-files').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(4096, 7) })
    await page.getByTestId('start-backup').click()
    await expect(page.getByTestId('backup-notice')).toContainText('Snapshot', { timeout: 120_000 })

    await visitAll(page, width, 'content', info)
  })
}
