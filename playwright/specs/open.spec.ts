/**
 * Files → Open and the preview read through the app's one fetch path (local blocks, peers, then
 * each gateway in Settings order, every block verified): content nobody has ends in a clear error
 * within seconds, a tampering gateway is named at once, and a gateway's path prefix is kept.
 */
import { MemoryBlockstore } from 'blockstore-core'
import { addAll } from '../../src/ipfs/add/index.js'
import { startGateway } from '../../test/unit/fetch/helpers.js'
import { expect, openApp, test } from '../fixtures.js'
import type { TestGateway } from '../../test/unit/fetch/helpers.js'
import type { Page } from '@playwright/test'
import type { CID } from 'multiformats/cid'

const enc = new TextEncoder()
const source = new MemoryBlockstore()
/** Holds the folder's root block and the big file's root block, but none of its leaves. */
const partial = new MemoryBlockstore()
let note: CID
let folder: CID
let honest: TestGateway
let tampered: TestGateway
let prefixed: TestGateway
let holey: TestGateway

test.beforeAll(async () => {
  note = (await addAll(source, [{ path: 'note.txt', content: [enc.encode(`only the gateways have this note ${Date.now()}\n`)] }], { profile: 'unixfs-v1-2025' }))[0]!.cid
  const big = enc.encode('a line of text that repeats\n'.repeat(100_000)) // 2.8 MB: a root and three leaves
  folder = (await addAll(source, [{ path: 'docs/big.txt', content: [big] }], { profile: 'unixfs-v1-2025' }))[0]!.cid
  const { exporter } = await import('ipfs-unixfs-exporter')
  const file = await exporter(`${folder.toString()}/big.txt`, source)
  for (const cid of [folder, file.cid]) {
    const parts: Uint8Array[] = []
    for await (const c of source.get(cid)) parts.push(c)
    await partial.put(cid, Buffer.concat(parts))
  }
  honest = await startGateway(source, 'honest')
  tampered = await startGateway(source, 'tampered')
  prefixed = await startGateway(source, 'honest', { prefix: '/behind/a/path' })
  holey = await startGateway(partial, 'honest')
})

test.afterAll(async () => {
  await Promise.all([honest?.close(), tampered?.close(), prefixed?.close(), holey?.close()])
})

async function useGateways (page: Page, gateways: string[]): Promise<void> {
  await page.evaluate(async (list) => {
    const app = globalThis.cairn!
    const next = structuredClone(app.settings.get()!)
    next.profiles[next.profile].gateways = list
    await app.saveSettings(next)
  }, gateways)
  await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
}

async function open (page: Page, address: string): Promise<number> {
  await page.getByPlaceholder(/Open a CID/).fill(address)
  const t0 = Date.now()
  await page.locator('form').getByRole('button', { name: 'Open', exact: true }).click()
  return t0
}

test('a CID nobody has ends in "not found on any peer or gateway" within seconds', async ({ guarded }) => {
  const page = await openApp(guarded.context, 'files')
  await useGateways(page, [honest.url])
  const missing = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
  const t0 = await open(page, `/ipfs/${missing}`)
  const alert = page.getByRole('alert').first()
  await expect(alert).toContainText('was not found on any peer or gateway', { timeout: 15_000 })
  const ms = Date.now() - t0
  console.log(`[measure] missing CID reported in ${ms} ms`)
  await expect(alert).toContainText(honest.url)
  expect(ms).toBeLessThan(10_000)

  // The service worker's ./ipfs/ path says the same, as fast.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
  const sw = await page.evaluate(async (cid) => {
    const t0 = performance.now()
    const res = await fetch(`./ipfs/${cid}`)
    return { status: res.status, error: res.headers.get('x-cairn-error'), body: await res.text(), ms: performance.now() - t0 }
  }, missing)
  console.log(`[measure] missing CID reported by the service worker in ${Math.round(sw.ms)} ms`)
  expect(sw.error).toBe('AllGatewaysFailedError')
  expect(sw.body).toContain('was not found on any peer or gateway')
  expect(sw.ms).toBeLessThan(10_000)
})

test('a tampering gateway is named in the error at once, and its bytes are never shown', async ({ guarded }) => {
  const page = await openApp(guarded.context, 'files')
  await useGateways(page, [tampered.url])
  const t0 = await open(page, `/ipfs/${note.toString()}`)
  const alert = page.getByRole('alert').first()
  await expect(alert).toContainText(tampered.url, { timeout: 15_000 })
  const ms = Date.now() - t0
  console.log(`[measure] tampering gateway named in ${ms} ms`)
  await expect(alert).toContainText('do not match its hash')
  await expect(page.locator('main')).not.toContainText('only the gateways have this note')
  expect(ms).toBeLessThan(5_000)
})

test("a gateway's path prefix is kept, for Open and for pins alike", async ({ guarded }) => {
  const page = await openApp(guarded.context, 'files')
  await useGateways(page, [prefixed.url])
  await open(page, `/ipfs/${note.toString()}`)
  await expect(page.getByTestId('browser')).toContainText('only the gateways have this note', { timeout: 30_000 })
  // The node's own blockstore (bitswap and the gateway broker), as pins and backups read blocks.
  const bytes = await page.evaluate(async (cid) => {
    const app = globalThis.cairn!
    return new TextDecoder().decode(await app.blocks.get(cid))
  }, note.toString())
  expect(bytes).toContain('only the gateways have this note')
  expect(prefixed.requests.length).toBeGreaterThan(0)
  expect(prefixed.requests.filter(r => !r.startsWith('/behind/a/path/ipfs/'))).toEqual([])
})

test('a preview whose blocks nobody has fails with a clear error, not after a minute', async ({ guarded }) => {
  const page = await openApp(guarded.context, 'files')
  await useGateways(page, [holey.url])
  const t0 = await open(page, `/ipfs/${folder.toString()}/big.txt`)
  const alert = page.getByRole('alert').first()
  await expect(alert).toContainText('was not found on any peer or gateway', { timeout: 15_000 })
  const ms = Date.now() - t0
  console.log(`[measure] preview of a file with missing leaves failed in ${ms} ms`)
  await expect(alert).toContainText(holey.url)
  expect(ms).toBeLessThan(10_000)
})

test('ipns:// and /ipns/ addresses open: the name is resolved, then its content shown', async ({ guarded }) => {
  const page = await openApp(guarded.context, 'files')
  const { k51, cid } = await page.evaluate(async () => {
    const app = globalThis.cairn!
    const cid = await app.blocks.put(new TextEncoder().encode('content behind a name\n'))
    await app.names.create('open-me')
    await app.names.publish('open-me', `/ipfs/${cid}`, { lifetime: '48h', ttl: '5m' })
    return { k51: app.names.rows.get().find(r => r.keyName === 'open-me')!.k51, cid }
  })
  await open(page, `ipns://${k51}`)
  await expect(page.getByTestId('browser')).toContainText('content behind a name', { timeout: 30_000 })
  await expect(page.getByTestId('browser-cid')).toHaveText(cid)
  await page.getByTestId('browser').getByRole('button', { name: 'Close' }).click()
  await open(page, `/ipns/${k51}`)
  await expect(page.getByTestId('browser')).toContainText('content behind a name', { timeout: 30_000 })
  // A name nobody published is a clear error, not a hang.
  await open(page, 'ipns://k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8')
  await expect(page.getByRole('alert').first()).toContainText('k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8', { timeout: 30_000 })
})
