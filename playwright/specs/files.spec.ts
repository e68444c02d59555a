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
