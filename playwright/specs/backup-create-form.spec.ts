/**
 * The Backups page's create form: it says the repository's name is public, loads the password
 * estimator (zxcvbn-ts, its own chunks) only when the form shows, and rates common passwords
 * with substitutions weak. Screenshots of the form at 1280 and 390 px go to
 * test-results/screenshots/ for a person to look at.
 */
import { join } from 'node:path'
import { expect, openApp, test } from '../fixtures.js'
import type { Page } from '@playwright/test'

/** Scripts the page itself has loaded (the service worker's precache is not counted). */
async function loadedScripts (page: Page): Promise<string[]> {
  return await page.evaluate(() => performance.getEntriesByType('resource').map(e => e.name).filter(n => n.endsWith('.js')))
}

for (const width of [1280, 390]) {
  test(`the create form at ${width} px: public notice, estimator loaded on demand, P@ssw0rd2024 rates weak`, async ({ guarded }, info) => {
    const page = await openApp(guarded.context, 'node')
    await page.setViewportSize({ width, height: 900 })
    expect((await loadedScripts(page)).filter(s => s.includes('password-estimator'))).toEqual([])

    await page.evaluate(() => { location.hash = '#/backups' })
    const form = page.getByTestId('create-repo')
    await expect(form.getByTestId('public-notice')).toContainText('name is public')
    await expect(form.getByTestId('public-notice')).toContainText('the password is all that protects it', { ignoreCase: true })
    await expect.poll(async () => (await loadedScripts(page)).filter(s => s.includes('password-estimator')).length).toBe(1)

    await form.getByLabel('Name').fill('Photos')
    const password = form.getByLabel('Password', { exact: true })
    const strength = page.getByTestId('password-strength')
    for (const weak of ['P@ssw0rd2024', 'Summer2023!', 'Photos2024!']) {
      await password.fill(weak)
      await expect(strength, weak).toHaveAttribute('data-score', /^[01]$/)
      await expect(page.getByTestId('password-label'), weak).toHaveText(/weak/)
    }
    await password.fill('P@ssw0rd2024')
    await expect(strength).toContainText('commonly used password')
    await expect(page.getByTestId('password-label')).toHaveText(/weak/)
    await form.getByLabel('Password again').fill('P@ssw0rd2024')
    await form.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(info.project.outputDir, 'screenshots', `${width}-backups-create-weak.png`), fullPage: true })
    const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }))
    expect(sizes.scroll, `the page is wider than the ${width} px window`).toBeLessThanOrEqual(sizes.view)

    await password.fill('gravel orbit lantern mosaic velvet')
    await form.getByLabel('Password again').fill('gravel orbit lantern mosaic velvet')
    await expect(strength).toHaveAttribute('data-score', '4')
    await expect(page.getByTestId('password-label')).toHaveText('strong')
    await expect(strength).toContainText('centuries')
    await page.screenshot({ path: join(info.project.outputDir, 'screenshots', `${width}-backups-create-strong.png`), fullPage: true })
  })
}
