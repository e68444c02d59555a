/**
 * Issue #12 items 6 and 9 in the page: a tab closed mid-backup leaves its lock, which "Remove stale
 * locks" in another tab removes (the closed tab's session no longer holds its Web Lock); then, in
 * one page session, backup, forget, prune and check pass (the in-memory index follows prune).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, newGuardedContext, openApp, test } from '../fixtures.js'
import type { Page } from '@playwright/test'

const PASSWORD = 'correct horse battery staple 42'

async function backUpFile (page: Page, name: string, bytes: number): Promise<void> {
  await page.getByTestId('backup-files').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: randomBytes(bytes) })
  await page.getByTestId('start-backup').click()
  await expect(page.getByTestId('backup-notice')).toContainText('Snapshot', { timeout: 120_000 })
}

test('a closed tab\'s lock is removed as stale by another tab; backup, forget, prune, check pass in one session', async ({ browser }) => {
  test.setTimeout(480_000)
  const work = await mkdtemp(join(tmpdir(), 'cairn-backup-locks-'))
  const a = await newGuardedContext(browser)
  try {
    const src = join(work, 'big')
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 'one.bin'), randomBytes(60 * 1024 * 1024))
    await writeFile(join(src, 'two.bin'), randomBytes(60 * 1024 * 1024))
    const page = await openApp(a.context, 'backups')
    const form = page.getByTestId('create-repo')
    await form.getByLabel('Name').fill('Locks')
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await form.getByLabel('Password again').fill(PASSWORD)
    await form.getByRole('button', { name: 'Create' }).click()
    await expect(page.getByTestId('repo-name')).toHaveText(/^k51/, { timeout: 60_000 })
    await page.getByTestId('backup-folder').setInputFiles(src)
    await page.getByTestId('start-backup').click()
    // A checkpoint published the root with the backup's lock in it; then the tab is closed.
    await expect(page.getByTestId('progress')).toContainText('progress saved', { timeout: 180_000 })
    await page.close()

    const page2 = await openApp(a.context, 'backups')
    const row = page2.locator('[data-testid="repos"] tbody tr').first()
    await row.getByRole('button', { name: /^Open/ }).click()
    await row.getByTestId('row-password').locator('input[type="password"]').fill(PASSWORD)
    await row.getByTestId('row-password').getByRole('button', { name: 'Open' }).click()
    await expect(page2.getByTestId('repo-name')).toHaveText(/^k51/, { timeout: 120_000 })
    const maintenance = page2.getByTestId('maintenance')
    await maintenance.locator('summary').click()
    await maintenance.getByRole('button', { name: 'Remove stale locks' }).click()
    await expect(maintenance.getByTestId('maintenance-notice')).toHaveText('Removed 1 stale lock(s).', { timeout: 60_000 })

    // Item 9: two snapshots the same day, forget (keep daily) with prune, then check, without reopening.
    await backUpFile(page2, 'a.bin', 3 * 1024 * 1024)
    await backUpFile(page2, 'a.bin', 3 * 1024 * 1024) // same path, new content: one forget group
    await maintenance.getByRole('button', { name: 'Forget' }).click()
    await expect(maintenance.getByTestId('maintenance-notice')).toContainText(/Removed 1 snapshot\(s\), kept 1\. Pruned: [1-9]\d* pack\(s\) removed/, { timeout: 120_000 })
    await maintenance.getByRole('button', { name: 'Check (read all data)' }).click()
    await expect(maintenance.getByTestId('maintenance-notice')).toHaveText('Check passed: every blob was read and verified.', { timeout: 120_000 })
    await expect(maintenance.getByTestId('maintenance-problem')).toBeEmpty()
  } finally {
    await a.context.close()
    await rm(work, { recursive: true, force: true, maxRetries: 5 })
  }
  expect(a.violations).toEqual([])
})
