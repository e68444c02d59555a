/**
 * Backups end to end: real Chromium, the local network peer, the Node CLI and real restic 0.14.
 */
import { execFile, spawn } from 'node:child_process'
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

async function cli (args: string[], env: Record<string, string> = {}, timeout = 240_000): Promise<{ stdout: string, stderr: string }> {
  return await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout })
}

/**
 * `cairn restic export` into `dir`. In some runs (about one in four under full CI load, not yet
 * explained) a block fetch of the Node peer stalls; a normal export takes about 20 s, so after
 * 100 s the export is run again into a fresh folder (at most three tries), and every stall is
 * logged so it stays visible.
 */
async function exportRepo (name: string, dir: string, env: Record<string, string>): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const target = attempt === 1 ? dir : `${dir}-retry${attempt}`
    try {
      await cli(['restic', 'export', '--repo', `ipns://${name}`, ...networkFlags(), target], env, 100_000)
      return target
    } catch (err) {
      if (attempt === 3) throw err
      console.warn(`export attempt ${attempt} stalled, retrying: ${(err as Error).message.split('\n')[0] ?? ''}`)
    }
  }
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
    await makeTree(src, 50)
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
    // IndexedDB holds about what the repository holds (blocks stored as exact copies, not as views of bigger buffers).
    const usage = await page.evaluate(async () => ((await navigator.storage.estimate()) as StorageEstimate & { usageDetails?: { indexedDB?: number } }).usageDetails?.indexedDB ?? 0)
    expect(usage).toBeLessThan(120 * 1024 * 1024)
    const rows = page.locator('[data-testid="snapshots"] tbody tr')
    await expect(rows).toHaveCount(1)
    await expect(rows.first().getByTestId('snapshot-size')).toContainText('files', { timeout: 60_000 })
    await expect(rows.first()).toContainText('e2e, first')

    // Push to the local network peer (it pins over /cairn/pin/1.0.0) and to its keepers (Pinning
    // Service API, Kubo RPC, Cluster API).
    const push = page.getByTestId('push')
    await push.getByRole('button', { name: 'Refresh targets' }).click()
    await expect(push.locator(`label[data-target="peer:${process.env.CAIRN_RELAY_PEER!}"]`)).toBeVisible()
    for (const kind of ['psa', 'kubo', 'cluster']) await expect(push.locator(`label[data-target^="${kind}:"]`)).toHaveCount(1)
    // …and to a restic REST server on another origin (CORS), backed by a plain folder.
    const { startRestServer } = await import('../../src/node/restic-ipfs/index.js')
    const { LocalBackend } = await import('../../src/node/restic/local-backend.js')
    const restDir = join(work, 'rest-repo')
    // Only the app's origin may use it from a page (no REST server answers other pages by default).
    const rest = await startRestServer(new LocalBackend(restDir), { corsOrigins: [new URL(page.url()).origin] })
    try {
      await push.getByLabel('restic REST server').fill(rest.url)
      await push.getByTestId('start-push').click()
      const statuses = push.locator('[data-testid="push-status"] li')
      await expect(statuses).toHaveCount(5)
      await expect(push.locator('[data-testid="push-status"] li[data-state="done"]')).toHaveCount(5, { timeout: 180_000 })
    } finally {
      await rest.close()
    }
    const restChecked = await run('restic', ['-r', restDir, 'check', '--read-data'], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD } })
    expect(restChecked.stdout).toContain('no errors were found')

    // Node resolves the name and exports a plain restic repository; real restic checks and restores it.
    const want = await hashTree(src)
    const passFile = join(work, 'pass')
    await writeFile(passFile, PASSWORD)
    const exported = await exportRepo(name, join(work, 'export'), { RESTIC_PASSWORD_FILE: passFile })
    const env = { ...process.env, RESTIC_PASSWORD_FILE: passFile }
    const checked = await run('restic', ['-r', exported, 'check', '--read-data'], { env })
    expect(checked.stdout).toContain('no errors were found')
    const target = join(work, 'restored')
    await run('restic', ['-r', exported, 'restore', 'latest', '--target', target], { env })
    const got = await hashTree(join(target, 'tree'))
    expect(got.size).toBe(want.size)
    expect([...got].sort()).toEqual([...want].sort())
    expect((await stat(join(target, 'tree/empty.txt'))).size).toBe(0)

    // A second browser opens the repository by name and password and downloads one file.
    const pageB = await openApp(b.context, 'backups')
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
    await rm(work, { recursive: true, force: true, maxRetries: 5 })
  }
  expect([...a.violations, ...b.violations]).toEqual([])
})

async function openKnownRepo (page: Page, password: string): Promise<void> {
  // A password field, never prompt() (Playwright would dismiss a dialog, and the field would be missing).
  const row = page.locator('[data-testid="repos"] tbody tr').first()
  await row.getByRole('button', { name: /^Open/ }).click()
  const form = row.getByTestId('row-password')
  await expect(form.locator('input[type="password"]')).toBeVisible()
  await form.locator('input[type="password"]').fill(password)
  await form.getByRole('button', { name: 'Open' }).click()
  await expect(page.getByTestId('repo-name')).toHaveText(/^k51/, { timeout: 120_000 })
}

async function pushToLocalNetwork (page: Page): Promise<void> {
  const push = page.getByTestId('push')
  await push.getByRole('button', { name: 'Refresh targets' }).click()
  await expect(push.locator(`label[data-target="peer:${process.env.CAIRN_RELAY_PEER!}"]`)).toBeVisible()
  await push.getByTestId('start-push').click()
  await expect(push.locator('[data-testid="push-status"] li')).not.toHaveCount(0)
  await expect(push.locator('[data-testid="push-status"] li:not([data-state="done"])')).toHaveCount(0, { timeout: 180_000 })
}

test('a backup killed by closing the tab leaves a repository restic checks, and the next backup reuses its packs', async ({ browser }) => {
  test.setTimeout(600_000)
  const work = await mkdtemp(join(tmpdir(), 'cairn-backup-kill-'))
  const a = await newGuardedContext(browser)
  try {
    const src = join(work, 'big')
    await mkdir(join(src, 'part'), { recursive: true })
    await writeFile(join(src, 'one.bin'), randomBytes(60 * 1024 * 1024))
    await writeFile(join(src, 'part/two.bin'), randomBytes(60 * 1024 * 1024))
    const page = await openApp(a.context, 'backups')
    const name = await createRepo(page, 'Interrupted')
    await page.getByTestId('backup-folder').setInputFiles(src)
    await page.getByTestId('start-backup').click()
    // Wait until a checkpoint made some packs durable, then kill the tab mid-backup.
    await expect(page.getByTestId('progress')).toContainText('progress saved', { timeout: 180_000 })
    await page.close()

    const page2 = await openApp(a.context, 'backups')
    await openKnownRepo(page2, PASSWORD)
    await expect(page2.locator('[data-testid="snapshots"] tbody tr')).toHaveCount(0)
    await pushToLocalNetwork(page2)

    // What the name points at now is a valid repository for real restic.
    const passFile = join(work, 'pass')
    await writeFile(passFile, PASSWORD)
    const exported = await exportRepo(name, join(work, 'export'), { RESTIC_PASSWORD_FILE: passFile })
    const env = { ...process.env, RESTIC_PASSWORD_FILE: passFile }
    const packs = (await readdir(join(exported, 'data'), { recursive: true })).filter(f => /[0-9a-f]{64}$/.test(f))
    expect(packs.length).toBeGreaterThan(0)
    // The killed backup's lock is still there (as when restic itself is killed): check without taking a lock.
    const checked = await run('restic', ['-r', exported, '--no-lock', 'check', '--read-data'], { env })
    expect(checked.stdout).toContain('no errors were found')

    // The next backup adopts the uploaded packs instead of uploading them again.
    await page2.getByTestId('backup-folder').setInputFiles(src)
    await page2.getByTestId('start-backup').click()
    await expect(page2.getByTestId('backup-notice')).toContainText('Snapshot', { timeout: 300_000 })
    await expect(page2.getByTestId('backup-notice')).toContainText(/[1-9]\d* pack\(s\) from an interrupted backup reused/)
    await expect(page2.locator('[data-testid="snapshots"] tbody tr')).toHaveCount(1)
  } finally {
    await a.context.close()
    await rm(work, { recursive: true, force: true, maxRetries: 5 })
  }
  expect(a.violations).toEqual([])
})

test('real restic backs up through `cairn serve restic`; the page lists that snapshot and restores it', async ({ browser }) => {
  test.setTimeout(300_000)
  const work = await mkdtemp(join(tmpdir(), 'cairn-backup-serve-'))
  const a = await newGuardedContext(browser)
  const home = join(work, 'home')
  const env = { CAIRN_HOME: home, CAIRN_KEY_PASSPHRASE: 'key passphrase' }
  const gen = await cli(['ipns', 'key', 'gen', 'restic-repo'], env)
  const name = /k51[0-9a-z]+/.exec(gen.stdout)?.[0] ?? ''
  expect(name).toMatch(/^k51/)
  const relays = JSON.parse(process.env.CAIRN_RELAY_ADDRS!) as string[]
  const server = spawn(process.execPath, [CLI, 'serve', 'restic', '--repo', `ipns://${name}`, '--init', '--routing', process.env.CAIRN_ROUTING_URL!,
    '--peer', relays[0]!, '--listen', '127.0.0.1:0', '--idle', '500', '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  server.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  server.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  try {
    await expect.poll(() => out.includes('\n'), { timeout: 60_000, message: err }).toBe(true)
    const info = JSON.parse(out.split('\n')[0]!) as { url: string }
    const sessions = (): number => out.trim().split('\n').length - 1
    const src = join(work, 'data')
    await mkdir(join(src, 'sub'), { recursive: true })
    const bin = randomBytes(700_000)
    await writeFile(join(src, 'sub/photo.bin'), bin)
    await writeFile(join(src, 'hello.txt'), 'restic wrote this\n')
    const renv = { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_REPOSITORY: `rest:${info.url}` }
    await run('restic', ['init'], { env: renv })
    await expect.poll(sessions, { timeout: 60_000 }).toBeGreaterThanOrEqual(1)
    const backed = await run('restic', ['backup', '--host', 'laptop', '--tag', 'from-restic', src], { env: renv })
    const snapshotId = /snapshot ([0-9a-f]{8}) saved/.exec(backed.stdout)?.[1] ?? ''
    expect(snapshotId).toMatch(/^[0-9a-f]{8}$/)
    await expect.poll(sessions, { timeout: 60_000 }).toBeGreaterThanOrEqual(2)

    const page = await openApp(a.context, 'backups')
    const open = page.getByTestId('open-repo')
    await open.getByLabel('IPNS name or root CID').fill(`ipns://${name}`)
    await open.getByLabel('Password').fill(PASSWORD)
    await open.getByRole('button', { name: 'Open' }).click()
    await expect(page.getByTestId('repo-name')).toHaveText(name, { timeout: 120_000 })
    const row = page.locator(`[data-testid="snapshots"] tbody tr`)
    await expect(row).toHaveCount(1)
    await expect(row).toContainText(snapshotId)
    await expect(row).toContainText('laptop')
    await expect(row).toContainText('from-restic')
    await expect(row.getByTestId('snapshot-size')).toContainText('in 2 files', { timeout: 60_000 })

    // Restore the whole snapshot into a folder (the origin private file system stands in for the folder picker).
    const restored = await page.evaluate(async ({ id }) => {
      const root = await navigator.storage.getDirectory()
      const dir = await root.getDirectoryHandle('restore-test', { create: true })
      return await globalThis.cairn!.backups.restoreToDirectory(id, '/', dir)
    }, { id: snapshotId })
    expect(restored.files).toBe(2)
    const bytes = await page.evaluate(async ({ path }) => {
      let d = await (await navigator.storage.getDirectory()).getDirectoryHandle('restore-test')
      const parts = path.split('/').filter(p => p !== '')
      for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p)
      const f = await (await d.getFileHandle(parts[parts.length - 1]!)).getFile()
      return Array.from(new Uint8Array(await f.arrayBuffer()))
    }, { path: join(src, 'sub/photo.bin') })
    expect(Buffer.from(bytes).equals(bin)).toBe(true)

    // And as a streamed zip download.
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 120_000 }),
      row.getByRole('button', { name: 'Download .zip' }).click()
    ])
    const zip = await readFile(await download.path())
    expect(zip.subarray(0, 4).toString('hex')).toBe('504b0304')
    expect(zip.includes(bin.subarray(0, 4096))).toBe(true)
  } finally {
    server.kill('SIGINT')
    await a.context.close()
    await rm(work, { recursive: true, force: true, maxRetries: 5 })
  }
  expect(a.violations).toEqual([])
})

test('clear errors: an unreachable name, and a tampered block', async ({ browser }) => {
  test.setTimeout(300_000)
  const a = await newGuardedContext(browser)
  try {
    const page = await openApp(a.context, 'backups')
    // A valid name nobody ever published.
    const { generateKeyPair } = await import('@libp2p/crypto/keys')
    const { nameFromPublicKey } = await import('../../src/ipfs/ipns/names.js')
    const unknown = nameFromPublicKey((await generateKeyPair('Ed25519')).publicKey).k51
    const open = page.getByTestId('open-repo')
    await open.getByLabel('IPNS name or root CID').fill(unknown)
    await open.getByLabel('Password').fill(PASSWORD)
    await open.getByRole('button', { name: 'Open' }).click()
    await expect(page.getByRole('alert')).toContainText('could not be resolved', { timeout: 120_000 })
    // The cause is quoted once: no "..", no advice said twice.
    const said = await page.getByRole('alert').first().innerText()
    expect(said).not.toContain('..')
    expect(said.match(/Check the name/g)).toHaveLength(1)

    // A block of a pack changed in this browser's store: the restic layer refuses it and names the pack.
    await createRepo(page, 'Tamper')
    const file = randomBytes(3 * 1024 * 1024)
    await page.getByTestId('backup-files').setInputFiles({ name: 'secret.bin', mimeType: 'application/octet-stream', buffer: file })
    await page.getByTestId('start-backup').click()
    await expect(page.getByTestId('backup-notice')).toContainText('Snapshot', { timeout: 120_000 })
    const flipped = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => { const r = indexedDB.open('cairn/blocks/v1'); r.onsuccess = () => { resolve(r.result) }; r.onerror = () => { reject(r.error) } })
      const tx = db.transaction('cairn/blocks/v1', 'readwrite')
      const store = tx.objectStore('cairn/blocks/v1')
      let n = 0
      await new Promise<void>((resolve, reject) => {
        const cur = store.openCursor()
        cur.onsuccess = () => {
          const c = cur.result
          if (c === null) { resolve(); return }
          const v = c.value as Uint8Array
          // The 1 MiB leaves are pieces of pack files (index, snapshot and key files are small).
          if (v.byteLength === 1024 * 1024) { const t = new Uint8Array(v); t[4096] = t[4096]! ^ 0xff; c.update(t); n++ }
          c.continue()
        }
        cur.onerror = () => { reject(cur.error) }
      })
      db.close()
      return n
    })
    expect(flipped).toBeGreaterThan(0)
    await page.locator('[data-testid="snapshots"] tbody tr').first().getByRole('button', { name: 'Browse' }).click()
    const tree = page.getByTestId('snapshot-browser')
    await tree.locator('tr[data-entry="secret.bin"]').getByRole('button', { name: 'Download' }).click()
    await expect(tree.getByRole('alert')).toContainText(/data\/[0-9a-f]{2}\/[0-9a-f]{64}/, { timeout: 60_000 })
    await expect(tree.getByRole('alert')).toContainText(/MAC|damaged|authentication/i)
  } finally {
    await a.context.close()
  }
  expect(a.violations).toEqual([])
})
