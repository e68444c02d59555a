import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { dialWebRTC, expect, newGuardedContext, openApp, test, webrtcAddress } from '../fixtures.js'
import type { Page } from '@playwright/test'

/** A folder with nested dirs, an empty file, Unicode and HTML-looking names. */
async function makeFolder (): Promise<{ dir: string, files: Map<string, Buffer> }> {
  const base = await mkdtemp(join(tmpdir(), 'cairn-e2e-'))
  const dir = join(base, 'album')
  const files = new Map<string, Buffer>([
    ['readme.txt', Buffer.from('hello from page A\n')],
    ['empty.txt', Buffer.alloc(0)],
    ['sub/data.bin', randomBytes(700_000)],
    ['sub/deeper/été – 日本.txt', Buffer.from('unicode name\n')],
    ['<img src=x onerror=alert(1)>.txt', Buffer.from('<script>alert(1)</script>')]
  ])
  for (const [rel, bytes] of files) {
    await mkdir(join(dir, rel, '..'), { recursive: true })
    await writeFile(join(dir, rel), bytes)
  }
  return { dir, files }
}

async function addFolder (page: Page, dir: string): Promise<string> {
  await page.goto(page.url().replace(/#.*$/, '') + '#/files')
  await page.getByTestId('add-folder').setInputFiles(dir)
  await expect(page.getByTestId('notice')).toContainText('Added and pinned')
  const row = page.locator('[data-testid="library"] tr', { hasText: 'album' })
  await expect(row).toContainText('yes')
  return (await row.getAttribute('data-cid')) ?? ''
}

test('page A adds a folder; page B opens its CID over WebRTC and downloads every file byte for byte', async ({ browser }) => {
  test.setTimeout(180_000)
  const { dir, files } = await makeFolder()
  const a = await newGuardedContext(browser)
  const b = await newGuardedContext(browser)
  try {
    const [pageA, pageB] = await Promise.all([openApp(a.context), openApp(b.context)])
    const cid = await addFolder(pageA, dir)
    expect(cid).toMatch(/^(Qm|baf)/)

    // B dials A over WebRTC through the relay.
    await pageA.goto(pageA.url().replace(/#.*$/, '') + '#/node')
    const addrA = await webrtcAddress(pageA)
    const peerA = (await pageA.getByTestId('peer-id').textContent()) ?? ''
    await pageB.goto(pageB.url().replace(/#.*$/, '') + '#/node')
    await dialWebRTC(pageB, addrA, peerA)

    // B opens the CID, browses, and downloads each file.
    await pageB.goto(pageB.url().replace(/#.*$/, '') + '#/files')
    await pageB.getByPlaceholder(/Open a CID/).fill(`/ipfs/${cid}`)
    await pageB.locator('form').getByRole('button', { name: 'Open', exact: true }).click()
    const browserPanel = pageB.getByTestId('browser')
    await expect(browserPanel.getByTestId('entries')).toBeVisible()
    // An HTML-looking name is shown as text, never rendered as markup.
    await expect(browserPanel.getByTestId('entries')).toContainText('<img src=x onerror=alert(1)>.txt')
    expect(await browserPanel.locator('img').count()).toBe(0)

    for (const [rel, bytes] of files) {
      const parts = rel.split('/')
      await browserPanel.getByTestId('crumb-root').click()
      for (const p of parts) {
        await browserPanel.getByTestId('entries').getByRole('button', { name: new RegExp(`^(📁 )?${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).click()
      }
      await expect(browserPanel.getByTestId('download')).toBeVisible()
      const [download] = await Promise.all([pageB.waitForEvent('download'), browserPanel.getByTestId('download').click()])
      const got = await readFile(await download.path())
      expect(got.equals(bytes), `${rel} downloaded byte for byte`).toBe(true)
      // Chromium replaces characters that are unsafe in file names (<, >, …) with "_".
      expect(download.suggestedFilename()).toBe(parts[parts.length - 1]!.replace(/[<>:"|?*]/g, '_'))
    }
    // The text preview shows markup as text.
    await browserPanel.getByTestId('crumb-root').click()
    await browserPanel.getByRole('button', { name: '<img src=x onerror=alert(1)>.txt' }).click()
    await expect(browserPanel.getByTestId('preview-text')).toHaveText('<script>alert(1)</script>')
  } finally {
    await Promise.all([a.context.close(), b.context.close()])
  }
  expect([...a.violations, ...b.violations]).toEqual([])
})

test('pins survive a reload, and garbage collection frees only unpinned blocks', async ({ guarded }) => {
  const { dir, files } = await makeFolder()
  const page = await openApp(guarded.context)
  const cid = await addFolder(page, dir)
  const loose = await page.evaluate(async () => globalThis.cairn!.blocks.put(new TextEncoder().encode(`unpinned ${Math.random()}`)))

  await page.reload()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/)
  await expect(page.locator(`[data-testid="library"] tr[data-cid="${cid}"]`)).toContainText('yes')

  await page.getByTestId('gc').click()
  await expect(page.getByTestId('gc-result')).toContainText(/removed [1-9]\d* unpinned block/)
  const state = await page.evaluate(async ([root, l]) => ({
    root: await globalThis.cairn!.blocks.has(root!),
    loose: await globalThis.cairn!.blocks.has(l!)
  }), [cid, loose])
  expect(state).toEqual({ root: true, loose: false })

  // Every pinned file still reads back whole after GC.
  await page.getByPlaceholder(/Open a CID/).fill(`/ipfs/${cid}/readme.txt`)
  await page.locator('form').getByRole('button', { name: 'Open', exact: true }).click()
  await expect(page.getByTestId('preview-text')).toHaveText(files.get('readme.txt')!.toString())
})

test('a small file shows its content size in both CID profiles, folders show —, a cancel is quiet, archives save without a dialog, and .md under ./ipfs/ shows as text', async ({ guarded }) => {
  test.setTimeout(120_000)
  const page = await openApp(guarded.context, 'files')
  const note = Buffer.from('# Notes\n\nThirty-five bytes of text\n')
  expect(note.byteLength).toBe(35)
  for (const profile of ['unixfs-v0-2015', 'unixfs-v1-2025']) {
    await page.getByTestId('profile').selectOption(profile)
    await page.getByTestId('add-files').setInputFiles({ name: 'note.md', mimeType: 'text/markdown', buffer: note })
    await expect(page.getByTestId('notice')).toContainText('Added and pinned')
  }
  const noteRows = page.locator('[data-testid="library"] tr[data-cid]', { hasText: 'note.md' })
  await expect(noteRows).toHaveCount(2)
  for (const row of await noteRows.all()) await expect(row.locator('td').nth(1)).toHaveText('35 B')

  const base = await mkdtemp(join(tmpdir(), 'cairn-e2e-'))
  await mkdir(join(base, 'docs'))
  const readme = '# Read me\n\n<script>document.title = "ran"</script>\n'
  await writeFile(join(base, 'docs', 'readme.md'), readme)
  await page.getByTestId('add-folder').setInputFiles(join(base, 'docs'))
  await expect(page.getByTestId('notice')).toContainText('docs')
  const docs = page.locator('[data-testid="library"] tr[data-cid]', { hasText: 'docs' })
  await expect(docs.locator('td').nth(1)).toHaveText('—')
  await expect(docs.locator('td').first()).toHaveText('docs') // an SVG icon, no emoji
  const docsCid = (await docs.getAttribute('data-cid')) ?? ''

  // The user's own Cancel: a quiet note, no error, and the old notice is gone.
  await page.locator('input[name="address"]').fill('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
  await page.getByRole('button', { name: 'Open', exact: true }).first().click()
  await expect(page.getByTestId('notice')).toHaveCount(0)
  await page.getByTestId('progress').getByRole('button', { name: 'Cancel' }).click()
  await expect(page.getByTestId('cancelled')).toHaveText('Cancelled.')
  await expect(page.getByRole('alert')).toHaveCount(0)

  // A small archive goes to the download manager; no save dialog is opened.
  await docs.getByRole('button', { name: 'Open' }).click()
  const browser = page.getByTestId('browser')
  await expect(browser.getByTestId('entries')).toBeVisible()
  await expect(browser.getByTestId('entries').locator('td').nth(1)).toHaveText(`${Buffer.byteLength(readme)} B`)
  await page.evaluate(() => {
    (globalThis as unknown as { showSaveFilePicker: () => Promise<never> }).showSaveFilePicker = async () => {
      (globalThis as unknown as { pickerOpened: boolean }).pickerOpened = true
      throw new DOMException('The user aborted a request.', 'AbortError')
    }
  })
  const [zip] = await Promise.all([page.waitForEvent('download'), browser.getByRole('button', { name: 'Download .zip' }).click()])
  expect(zip.suggestedFilename()).toBe('docs.zip')
  expect(await page.evaluate(() => (globalThis as unknown as { pickerOpened?: boolean }).pickerOpened ?? false)).toBe(false)
  await expect(browser.getByRole('alert')).toHaveCount(0)

  // Through the service worker: shown inline as UTF-8 text in the sandbox, never as HTML.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
  const got = await page.evaluate(async (cid) => {
    const res = await fetch(`./ipfs/${cid}/readme.md`)
    return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), csp: res.headers.get('content-security-policy'), body: await res.text() }
  }, docsCid)
  expect(got.status).toBe(200)
  expect(got.type).toBe('text/plain; charset=utf-8')
  expect(got.disposition ?? 'inline').not.toMatch(/^attachment/i)
  expect(got.csp).toContain('sandbox')
  expect(got.body).toContain('# Read me')
})
