/**
 * Push from anywhere: a Files item and a backup root go to the local network's keepers (its Kubo
 * RPC, Cluster API and Pinning Service API, and the peer itself over /cairn/pin/1.0.0) and to an
 * S3 bucket (the fake Filebase-style bucket of the S3 keeper's tests, which checks every SigV4
 * signature and imports the CAR), and "Kept by" shows what each keeper's own status says. A second
 * local network, configured in Settings as another Kubo node but not pushed to, shows the CID
 * absent; pushed to, pinned.
 */
import { randomBytes } from 'node:crypto'
import { createServer, request as httpRequest } from 'node:http'
import { startLocalNetwork } from '../../src/node/network/index.js'
import { startFakeS3 } from '../../test/unit/push/fake-s3.js'
import { expect, openApp, test } from '../fixtures.js'
import type { Locator, Page } from '@playwright/test'
import type { AddressInfo } from 'node:net'

const S3 = { bucket: 'cairn-e2e', keyId: 'E2EACCESSKEY', secret: 'e2e-secret-' + 'z'.repeat(29) }

/**
 * The bucket as a browser reaches a real one configured for it: CORS for the app's origin
 * (preflights answered, S3's headers exposed). Requests go on unchanged, Host included, so the
 * bucket checks the signature the page made.
 */
async function withCors (target: string, origin: string): Promise<{ url: string, close: () => Promise<void> }> {
  const to = new URL(target)
  const server = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET, HEAD, PUT, POST, DELETE',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
      'access-control-expose-headers': 'etag, x-amz-meta-cid, x-amz-meta-import, x-amz-request-id'
    }
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return }
    const out = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (back) => {
      res.writeHead(back.statusCode ?? 502, { ...back.headers, ...cors })
      back.pipe(res)
    })
    out.on('error', () => { res.writeHead(502); res.end() })
    req.pipe(out)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: async () => { await new Promise(resolve => server.close(resolve)) } }
}

const PASSWORD = 'correct horse battery staple 42'
const RELAY = (): string => process.env.CAIRN_RELAY_PEER!
/** The local network's keepers, as the local profile names them, and its peer. */
const LOCAL = (): string[] => ['psa:local network', 'kubo:local Kubo', 'cluster:local Cluster', `peer:${RELAY()}`]
const OTHER = 'kubo:other Kubo'
const BUCKET = 's3:e2e bucket'

async function addKeepers (page: Page, kubo: { endpoint: string, token: string }, s3: string): Promise<void> {
  await page.goto(page.url().replace(/#.*$/, '') + '#/settings')
  const form = page.getByTestId('keeper-form')
  await form.locator('select[name="keeperKind"]').selectOption('kubo')
  await form.locator('input[name="keeperName"]').fill('other Kubo')
  await form.locator('input[name="keeperEndpoint"]').fill(kubo.endpoint)
  await form.locator('input[name="keeperToken"]').fill(kubo.token)
  await form.getByRole('button', { name: 'Add keeper' }).click()
  await expect(page.locator(`[data-testid="keepers"] li[data-keeper="${OTHER}"]`)).toContainText('token set')
  await form.locator('select[name="keeperKind"]').selectOption('s3')
  await form.locator('input[name="keeperName"]').fill('e2e bucket')
  await form.locator('input[name="keeperEndpoint"]').fill(s3)
  await form.locator('input[name="keeperBucket"]').fill(S3.bucket)
  await form.locator('input[name="keeperAccessKeyId"]').fill(S3.keyId)
  await form.locator('input[name="keeperSecret"]').fill(S3.secret)
  await form.getByRole('button', { name: 'Add keeper' }).click()
  await expect(page.locator(`[data-testid="keepers"] li[data-keeper="${BUCKET}"]`)).toContainText('secret key set')
  await page.getByRole('button', { name: 'Save and restart node' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
}

/** Press Check, and expect each keeper's answer. */
async function expectKept (keptBy: Locator, states: Record<string, string>): Promise<void> {
  await keptBy.getByTestId('kept-check').click()
  await expect(keptBy.getByTestId('kept-check')).toHaveText('Check', { timeout: 60_000 })
  for (const [id, state] of Object.entries(states)) {
    await expect(keptBy.locator(`li[data-keeper-id="${id}"]`), `${id} should say ${state}`).toHaveAttribute('data-state', state, { timeout: 30_000 })
  }
}

test('a Files item and a backup root are pushed to Kubo, Cluster, a pinning service, an S3 bucket and a peer, and "Kept by" shows what each keeper says', async ({ guarded }) => {
  test.setTimeout(300_000)
  const other = await startLocalNetwork({})
  const bucket = await startFakeS3({ bucket: S3.bucket, keys: { [S3.keyId]: S3.secret } })
  let cors: Awaited<ReturnType<typeof withCors>> | undefined
  try {
    const page = await openApp(guarded.context, 'files')
    const origin = new URL(page.url()).origin
    other.allowOrigin(origin)
    cors = await withCors(bucket.url, origin)
    const info = other.info as { kuboRpc?: { endpoint: string, token: string } }
    expect(info.kuboRpc).toBeDefined()
    await addKeepers(page, info.kuboRpc!, cors.url)

    // A Files item that no keeper can hold yet (random bytes).
    await page.goto(page.url().replace(/#.*$/, '') + '#/files')
    await page.getByTestId('add-files').setInputFiles({ name: 'keep-me.bin', mimeType: 'application/octet-stream', buffer: randomBytes(300_000) })
    await expect(page.getByTestId('notice')).toContainText('Added and pinned')
    const row = page.locator('[data-testid="library"] tr[data-cid]', { hasText: 'keep-me.bin' })
    const cid = (await row.getAttribute('data-cid')) ?? ''
    await row.getByTestId('keep-toggle').click()
    const panel = page.locator(`tr[data-keep-for="${cid}"]`)
    const keptBy = panel.getByTestId('kept-by')
    // Asked on opening: nobody holds it.
    const absent = Object.fromEntries([...LOCAL(), BUCKET, OTHER].map(id => [id, 'absent']))
    await expectKept(keptBy, absent)
    await expect(keptBy).toContainText('no keeper holds it')

    // Push to the local network's keepers, its peer and the bucket, not to the other Kubo.
    const push = panel.getByTestId('push-keepers')
    for (const id of [...LOCAL(), BUCKET]) await expect(push.locator(`label[data-keeper-id="${id}"] input`)).toBeChecked()
    await push.locator(`label[data-keeper-id="${OTHER}"] input`).uncheck()
    await push.getByTestId('push-start').click()
    const statuses = push.locator('[data-testid="push-statuses"] li')
    await expect(statuses).toHaveCount(5)
    await expect(push.locator('[data-testid="push-statuses"] li[data-state="done"]')).toHaveCount(5, { timeout: 120_000 })
    await expectKept(keptBy, { ...Object.fromEntries([...LOCAL(), BUCKET].map(id => [id, 'pinned'])), [OTHER]: 'absent' })
    // The bucket imported the CAR the page uploaded: its object's CID is the item's.
    expect([...bucket.objects.values()].map(o => o.meta['x-amz-meta-cid'])).toContain(cid)
    for (const name of ['local network', 'local Kubo', 'local Cluster']) await expect(keptBy.getByTestId('kept-summary')).toContainText(name)
    await expect(keptBy.getByTestId('kept-summary')).not.toContainText('other Kubo')

    // The answers are remembered: reopened after a reload, they show before any keeper answers.
    await page.reload()
    await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
    await page.locator('[data-testid="library"] tr[data-cid]', { hasText: 'keep-me.bin' }).getByTestId('keep-toggle').click()
    await expect(page.locator(`tr[data-keep-for="${cid}"] [data-testid="kept-by"] li[data-keeper-id="kubo:local Kubo"]`)).toHaveAttribute('data-state', 'pinned')

    // Now to the other Kubo alone: it says pinned too.
    const panel2 = page.locator(`tr[data-keep-for="${cid}"]`)
    for (const id of LOCAL()) await panel2.locator(`[data-testid="push-keepers"] label[data-keeper-id="${id}"] input`).uncheck()
    await panel2.locator(`[data-testid="push-keepers"] label[data-keeper-id="${OTHER}"] input`).check()
    await panel2.getByTestId('push-start').click()
    await expect(panel2.locator(`[data-testid="push-statuses"] li[data-keeper-id="${OTHER}"]`)).toHaveAttribute('data-state', 'done', { timeout: 120_000 })
    await expectKept(panel2.getByTestId('kept-by'), { [OTHER]: 'pinned', 'kubo:local Kubo': 'pinned' })

    // A backup root, pushed from the Backups page to the same keepers (not the other Kubo).
    await page.goto(page.url().replace(/#.*$/, '') + '#/backups')
    const form = page.getByTestId('create-repo')
    await form.getByLabel('Name').fill('Keepers e2e')
    await form.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await form.getByLabel('Password again').fill(PASSWORD)
    await form.getByRole('button', { name: 'Create' }).click()
    await expect(page.getByTestId('repo-name')).toHaveText(/^k51/, { timeout: 60_000 })
    await page.getByTestId('backup-files').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: randomBytes(50_000) })
    await page.getByTestId('start-backup').click()
    await expect(page.getByTestId('backup-notice')).toContainText('Snapshot', { timeout: 120_000 })
    const card = page.getByTestId('push')
    await card.getByRole('button', { name: 'Refresh targets' }).click()
    for (const id of [...LOCAL(), BUCKET]) await expect(card.locator(`label[data-target="${id}"]`)).toBeVisible()
    await card.locator(`label[data-target="${OTHER}"] input`).uncheck()
    await card.getByTestId('start-push').click()
    await expect(card.locator('[data-testid="push-status"] li')).toHaveCount(5)
    await expect(card.locator('[data-testid="push-status"] li[data-state="done"]')).toHaveCount(5, { timeout: 120_000 })
    await expectKept(card.getByTestId('kept-by'), { ...Object.fromEntries([...LOCAL(), BUCKET].map(id => [id, 'pinned'])), [OTHER]: 'absent' })
  } finally {
    await cors?.close()
    await bucket.close()
    await other.stop()
  }
})

test('a name\'s signed record goes to every keeper that holds records, on publish and on demand, and a Kubo keeper serves it', async ({ guarded }) => {
  test.setTimeout(180_000)
  // Another Kubo (the RPC subset of a second local network) that the page reaches only as a keeper:
  // it is not among the page's routers or peers, so only the keeper push can give it the record.
  const other = await startLocalNetwork({})
  try {
    const page = await openApp(guarded.context, 'settings')
    other.allowOrigin(new URL(page.url()).origin)
    const kubo = (other.info as { kuboRpc?: { endpoint: string, token: string } }).kuboRpc!
    const form = page.getByTestId('keeper-form')
    await form.locator('select[name="keeperKind"]').selectOption('kubo')
    await form.locator('input[name="keeperName"]').fill('other Kubo')
    await form.locator('input[name="keeperEndpoint"]').fill(kubo.endpoint)
    await form.locator('input[name="keeperToken"]').fill(kubo.token)
    await form.getByRole('button', { name: 'Add keeper' }).click()
    await page.getByRole('button', { name: 'Save and restart node' }).click()
    await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })

    await page.goto(page.url().replace(/#.*$/, '') + '#/names')
    await page.getByPlaceholder('New key name').fill('kept-name')
    await page.getByRole('button', { name: 'Create key' }).click()
    const row = page.locator('[data-testid="keys"] tr[data-key="kept-name"]')
    const name = (await row.getAttribute('data-name')) ?? ''
    expect(name).toMatch(/^k51/)
    const cid = await page.evaluate(async () => globalThis.cairn!.blocks.put(new TextEncoder().encode('a name kept by keepers')))
    const publish = page.getByTestId('publish-form')
    await publish.getByPlaceholder(/ipfs/).fill(`/ipfs/${cid}`)
    await publish.getByRole('button', { name: 'Publish' }).click()
    // Publishing handed it to both Kubo keepers (the local network's and the other one).
    const results = page.getByTestId('keeper-results')
    await expect(results.locator('li[data-ok="true"]', { hasText: 'other Kubo' })).toHaveCount(1, { timeout: 60_000 })
    await expect(results.locator('li[data-ok="true"]', { hasText: 'local Kubo' })).toHaveCount(1)
    // The other Kubo serves the record: a valid one, for this name, pointing at the CID.
    const res = await fetch(`${other.routingUrl}/routing/v1/ipns/${name}`, { headers: { accept: 'application/vnd.ipfs.ipns-record' } })
    expect(res.status).toBe(200)
    const { inspectRecord } = await import('../../src/ipfs/ipns/index.js')
    const verdict = await inspectRecord(new Uint8Array(await res.arrayBuffer()), { name })
    expect(verdict.valid && verdict.value).toBe(`/ipfs/${cid}`)

    // On demand, from the name's row: every keeper that holds records says it holds it.
    await row.getByTestId('hand-record').click()
    const handed = page.getByTestId('hand-results')
    await expect(handed.locator('li', { hasText: 'other Kubo' })).toHaveAttribute('data-ok', 'true', { timeout: 60_000 })
    await expect(handed.locator('li[data-ok="false"]')).toHaveCount(0)
  } finally {
    await other.stop()
  }
})
