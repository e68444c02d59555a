/**
 * Backups end to end: real Chromium, the local network peer, the Node CLI and real restic 0.14.
 */
import { execFile } from 'node:child_process'
import { randomBytes, createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { expect, newGuardedContext, openApp, test } from '../fixtures.js'
import type { Page } from '@playwright/test'

const run = promisify(execFile)
const PASSWORD = 'correct horse battery staple 42'
const CLI = join(import.meta.dirname, '../../bin/cairn.mjs')

/** A tree of about `mib` MiB: nested folders, empty files, Unicode and odd names, random and text data. */
async function makeTree (root: string, mib: number): Promise<void> {
  const text = (n: number): Buffer => {
    const words = ['cairn', 'stone', 'path', 'hill', 'marker', 'trail', 'summit', 'ridge', 'valley', 'river']
    const out: string[] = []
    let len = 0
    let i = 0
    while (len < n) { const w = words[(i * 7 + (i >> 3)) % words.length]!; out.push(w); len += w.length + 1; i++ }
    return Buffer.from(out.join(' ').slice(0, n))
  }
  await mkdir(join(root, 'docs/deep/deeper'), { recursive: true })
  await mkdir(join(root, 'fotos/été 2026'), { recursive: true })
  await mkdir(join(root, 'blobs'), { recursive: true })
  await writeFile(join(root, 'README.txt'), 'Cairn backup test\n')
  await writeFile(join(root, 'empty.txt'), '')
  await writeFile(join(root, 'docs/deep/deeper/also-empty'), '')
  await writeFile(join(root, 'docs/deep/notes – ünïcödé ✓.md'), text(200_000))
  await writeFile(join(root, 'docs/spaces and (parens) [x].txt'), text(3000))
  await writeFile(join(root, 'fotos/été 2026/日本語.bin'), randomBytes(1_500_000))
  const big = Math.max(1, mib - 2)
  await writeFile(join(root, 'blobs/random.bin'), randomBytes(Math.floor(big * 0.6 * 1024 * 1024)))
  await writeFile(join(root, 'blobs/text.log'), text(Math.floor(big * 0.4 * 1024 * 1024)))
}

async function hashTree (root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  async function walk (dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) await walk(p)
      else out.set(relative(root, p), createHash('sha256').update(await readFile(p)).digest('hex'))
    }
  }
  await walk(root)
  return out
}

async function createRepo (page: Page, label: string): Promise<string> {
  const form = page.getByTestId('create-repo')
  await form.getByLabel('Name').fill(label)
  await form.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await form.getByLabel('Password again').fill(PASSWORD)
  await expect(page.getByTestId('password-strength')).toHaveAttribute('data-score', /[34]/)
  await form.getByRole('button', { name: 'Create' }).click()
  const name = page.getByTestId('repo-name')
  await expect(name).toHaveText(/^k51/, { timeout: 60_000 })
  return (await name.textContent()) ?? ''
}

async function cli (args: string[], env: Record<string, string> = {}): Promise<{ stdout: string, stderr: string }> {
  return await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 })
}

function networkFlags (): string[] {
  const relays = JSON.parse(process.env.CAIRN_RELAY_ADDRS!) as string[]
  return ['--routing', process.env.CAIRN_ROUTING_URL!, ...relays.flatMap(a => ['--peer', a])]
}

test.describe.configure({ mode: 'serial' })

test('a page backs up a folder tree into a repository on IPFS; restic checks and restores the export byte for byte; another browser restores a file', async ({ browser }) => {
  test.setTimeout(600_000)
  const work = await mkdtemp(join(tmpdir(), 'cairn-backup-e2e-'))
  const a = await newGuardedContext(browser)
  const b = await newGuardedContext(browser)
  try {
    const src = join(work, 'tree')
    await makeTree(src, Number(process.env.DEBUG_MIB ?? 50))
    const page = await openApp(a.context, 'backups')
    await expect(page.getByTestId('node-status')).toContainText('online', { timeout: 30_000 })
    const name = await createRepo(page, 'E2E photos')

    await page.getByTestId('backup-folder').setInputFiles(src)
    await expect(page.getByTestId('backup-selection')).toContainText('tree')
    await page.getByLabel('Tags').fill('e2e, first')
    await page.getByTestId('start-backup').click()
    await expect(page.getByTestId('progress')).toBeVisible()
    await expect(page.getByTestId('backup-notice')).toContainText('Snapshot', { timeout: 300_000 })
    await expect(page.getByTestId('backup-notice')).toContainText('The name now points at the new root')
    const rows = page.locator('[data-testid="snapshots"] tbody tr')
    await expect(rows).toHaveCount(1)
    await expect(rows.first().getByTestId('snapshot-size')).toContainText('files', { timeout: 60_000 })
    await expect(rows.first()).toContainText('e2e, first')

    // Push to the local network peer (it pins over /cairn/pin/1.0.0) and to its Pinning Service API.
    const push = page.getByTestId('push')
    await push.getByRole('button', { name: 'Refresh targets' }).click()
    await expect(push.locator(`label[data-target="peer:${process.env.CAIRN_RELAY_PEER!}"]`)).toBeVisible()
    await expect(push.locator('label[data-target^="service:"]')).toHaveCount(1)
    await push.getByTestId('start-push').click()
    const statuses = push.locator('[data-testid="push-status"] li')
    await expect(statuses).toHaveCount(2)
    await expect(push.locator('[data-testid="push-status"] li[data-state="done"]')).toHaveCount(2, { timeout: 180_000 })

    // Node resolves the name and exports a plain restic repository; real restic checks and restores it.
    const want = await hashTree(src)
    const passFile = join(work, 'pass')
    if (process.env.DEBUG_SKIP_EXPORT === undefined) {
    await writeFile(passFile, PASSWORD)
    const exported = join(work, 'export')
    await cli(['restic', 'export', '--repo', `ipns://${name}`, ...networkFlags(), exported], { RESTIC_PASSWORD_FILE: passFile })
    const env = { ...process.env, RESTIC_PASSWORD_FILE: passFile }
    const checked = await run('restic', ['-r', exported, 'check', '--read-data'], { env })
    expect(checked.stdout).toContain('no errors were found')
    const target = join(work, 'restored')
    await run('restic', ['-r', exported, 'restore', 'latest', '--target', target], { env })
    const got = await hashTree(join(target, 'tree'))
    expect(got.size).toBe(want.size)
    expect([...got].sort()).toEqual([...want].sort())
    expect((await stat(join(target, 'tree/empty.txt'))).size).toBe(0)
    }

    // A second browser opens the repository by name and password and downloads one file.
    const pageB = await openApp(b.context, 'backups')
    if (process.env.DEBUG_SKIP_EXPORT !== undefined) pageB.on('console', m => { console.log('B:', m.text()) })
    await expect(pageB.getByTestId('node-status')).toContainText('online', { timeout: 30_000 })
    const open = pageB.getByTestId('open-repo')
    await open.getByLabel('IPNS name or root CID').fill(name)
    await open.getByLabel('Password').fill('not the password')
    await open.getByRole('button', { name: 'Open' }).click()
    await expect(pageB.getByRole('alert')).toContainText('Wrong password', { timeout: 120_000 })
    await open.getByLabel('Password').fill(PASSWORD)
    await open.getByRole('button', { name: 'Open' }).click()
    await expect(pageB.getByTestId('repo-name')).toHaveText(name, { timeout: 120_000 })
    await pageB.locator('[data-testid="snapshots"] tbody tr').first().getByRole('button', { name: 'Browse' }).click()
    const browser2 = pageB.getByTestId('snapshot-browser')
    await browser2.locator('tr[data-entry="tree"] a').click()
    await browser2.locator('tr[data-entry="fotos"] a').click()
    await browser2.locator('tr[data-entry="été 2026"] a').click()
    const [download] = await Promise.all([
      pageB.waitForEvent('download', { timeout: 120_000 }),
      browser2.locator('tr[data-entry="日本語.bin"]').getByRole('button', { name: 'Download' }).click()
    ])
    const bytes = await readFile(await download.path())
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(want.get('fotos/été 2026/日本語.bin'))
  } finally {
    await Promise.all([a.context.close(), b.context.close()])
    await rm(work, { recursive: true, force: true })
  }
  expect([...a.violations, ...b.violations]).toEqual([])
})
