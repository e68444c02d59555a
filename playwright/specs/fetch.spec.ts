/**
 * Verified retrieval in the browser, through the service worker (src/sw → dist/sw.js, which bundles
 * src/ipfs/fetch): content from loopback trustless gateways started here, tampered bytes refused
 * with a clear error, dead gateways skipped, pinned sites rendered sandboxed and offline.
 *
 * Needs dist/sw.js (`vite build -c vite.sw.config.ts`); the spec registers the worker itself.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MemoryBlockstore } from 'blockstore-core'
import { addAll } from '../../src/ipfs/add/index.js'
import { deadGatewayUrl, startGateway } from '../../test/unit/fetch/helpers.js'
import { BASE_URL, expect, test } from '../fixtures.js'
import type { TestGateway } from '../../test/unit/fetch/helpers.js'
import type { BrowserContext, Page } from '@playwright/test'
import type { CID } from 'multiformats/cid'

const enc = new TextEncoder()
const SW = fileURLToPath(new URL('../../dist/sw.js', import.meta.url))
const EVIL_NAME = '<img src=x onerror="document.title=\'name ran\'">.txt'

const source = new MemoryBlockstore()
let site: CID
let probe: CID
let honest: TestGateway
let tampered: TestGateway

test.beforeAll(async () => {
  if (!existsSync(SW)) throw new Error('dist/sw.js is missing: build it with `vite build -c vite.sw.config.ts` (npm run build does).')
  const roots = await addAll(source, [
    {
      path: 'site/index.html',
      content: [enc.encode('<!doctype html><html><head><meta charset="utf-8"><title>pinned site</title><link rel="stylesheet" href="style.css"></head>' +
        '<body><h1 id="t">A pinned site</h1><img id="pic" src="pic.svg" alt="pic">' +
        '<script>document.title = "script ran"</script><img src="missing.png" onerror="document.title = \'handler ran\'">' +
        '<a id="docs" href="docs/">docs</a></body></html>')]
    },
    { path: 'site/style.css', content: [enc.encode('h1 { color: rgb(1, 2, 3) }')] },
    { path: 'site/pic.svg', content: [enc.encode('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')] },
    { path: `site/docs/${EVIL_NAME}`, content: [enc.encode('<script>document.title = "text ran"</script>plain text\n')] }
  ], { profile: 'unixfs-v1-2025' })
  site = roots[0]!.cid
  probe = (await addAll(source, [{ path: 'probe.txt', content: [enc.encode(`PROBE-CONTENT ${'x'.repeat(64)}\n`)] }], { profile: 'unixfs-v1-2025' }))[0]!.cid
  honest = await startGateway(source, 'honest')
  tampered = await startGateway(source, 'tampered')
})

test.afterAll(async () => {
  await Promise.all([honest?.close(), tampered?.close()])
})

/** Opens the app, registers the worker and waits until it controls the page. */
async function withWorker (context: BrowserContext): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', err => { console.error('[page error]', err.message) })
  await page.goto(BASE_URL())
  await page.evaluate(async () => {
    await navigator.serviceWorker.register('./sw.js', { scope: './' })
    await navigator.serviceWorker.ready
  })
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
  return page
}

async function setGateways (page: Page, gateways: string[]): Promise<void> {
  await page.evaluate(async (list) => {
    const worker = (await navigator.serviceWorker.ready).active!
    const channel = new MessageChannel()
    const ack = new Promise(resolve => { channel.port1.onmessage = resolve })
    worker.postMessage({ type: 'cairn:set-gateways', gateways: list }, [channel.port2])
    await ack
  }, gateways)
}

test('a site is fetched through the gateways, verified, rendered sandboxed, and opens again offline', async ({ guarded }) => {
  const page = await withWorker(guarded.context)
  await setGateways(page, [honest.url])
  const url = new URL(`ipfs/${site.toString()}/`, BASE_URL()).href

  const view = await guarded.context.newPage()
  const t0 = Date.now()
  const res = await view.goto(url)
  console.log(`[measure] site (3 files) through a loopback gateway via the worker: ${Date.now() - t0} ms`)
  expect(res?.status()).toBe(200)
  expect(res?.fromServiceWorker()).toBe(true)
  const csp = (await res?.allHeaders())?.['content-security-policy'] ?? ''
  expect(csp).toContain('sandbox')
  expect(csp).toContain("script-src 'none'")
  await expect(view.locator('#t')).toHaveText('A pinned site')
  // The stylesheet and image came through the worker too (the document stays controlled).
  await expect(view.locator('#t')).toHaveCSS('color', 'rgb(1, 2, 3)')
  await expect.poll(async () => await view.locator('#pic').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(10)
  // Neither the script nor the inline handler ran.
  expect(await view.title()).toBe('pinned site')
  expect(honest.requests.length).toBeGreaterThanOrEqual(4)

  // A directory without index.html, holding a file whose name is HTML: nothing of it runs.
  const listing = await view.goto(new URL(`ipfs/${site.toString()}/docs/`, BASE_URL()).href)
  expect((await listing?.allHeaders())?.['content-type']).toBe('text/html; charset=utf-8')
  const link = view.getByRole('link', { name: EVIL_NAME })
  await expect(link).toHaveCount(1) // the name shows as text, not as an element
  expect(await view.locator('img').count()).toBe(0)
  expect(await view.title()).not.toMatch(/ran/)
  await link.click()
  await expect(view.locator('body')).toContainText('plain text')
  expect(await view.title()).not.toMatch(/ran/)
  const file = await view.goto(new URL(`ipfs/${site.toString()}/docs/${encodeURIComponent(EVIL_NAME)}`, BASE_URL()).href)
  expect(file?.status()).toBe(200)
  expect((await file?.allHeaders())?.['content-type']).toMatch(/^text\/plain/)
  expect(await view.locator('body').innerText()).toContain('<script>document.title = "text ran"</script>plain text')
  expect(await view.title()).not.toMatch(/ran/)

  // The blocks are now in IndexedDB: with the gateway gone and the network off, the site opens.
  await setGateways(page, [])
  await guarded.context.setOffline(true)
  try {
    const again = await view.goto(url)
    expect(again?.status()).toBe(200)
    await expect(view.locator('#t')).toHaveText('A pinned site')
    await expect(view.locator('#t')).toHaveCSS('color', 'rgb(1, 2, 3)')
  } finally {
    await guarded.context.setOffline(false)
  }
})

test('a directory address without a trailing slash is redirected inside the worker scope', async ({ guarded }) => {
  const page = await withWorker(guarded.context)
  await setGateways(page, [honest.url])
  const view = await guarded.context.newPage()
  await view.goto(new URL(`ipfs/${site.toString()}`, BASE_URL()).href)
  expect(view.url()).toBe(new URL(`ipfs/${site.toString()}/`, BASE_URL()).href)
  await expect(view.locator('#t')).toHaveText('A pinned site')
})

test('an ipfs:// link launched through the protocol handler opens the content', async ({ guarded }) => {
  const page = await withWorker(guarded.context)
  await setGateways(page, [honest.url])
  const manifest = await (await page.request.get(new URL('manifest.webmanifest', BASE_URL()).href)).json() as { protocol_handlers: Array<{ protocol: string, url: string }> }
  const handler = manifest.protocol_handlers.find(h => h.protocol === 'ipfs')!
  // What Chromium does on a click on ipfs://…: substitute the escaped URL for %s.
  const launchUrl = new URL(handler.url.replace('%s', encodeURIComponent(`ipfs://${site.toString()}/`)), BASE_URL()).href
  const view = await guarded.context.newPage()
  await view.goto(launchUrl)
  expect(view.url()).toBe(new URL(`ipfs/${site.toString()}/`, BASE_URL()).href)
  await expect(view.locator('#t')).toHaveText('A pinned site')
})

test('tampered bytes from a gateway are refused with a clear error naming the gateway, and never shown', async ({ guarded }) => {
  const page = await withWorker(guarded.context)
  await setGateways(page, [tampered.url])
  const view = await guarded.context.newPage()
  const t0 = Date.now()
  const res = await view.goto(new URL(`ipfs/${probe.toString()}`, BASE_URL()).href)
  const ms = Date.now() - t0
  console.log(`[measure] tampered block refused in the browser in ${ms} ms`)
  expect(res?.status()).toBe(502)
  expect((await res?.allHeaders())?.['x-cairn-error']).toBe('TamperedContentError')
  const text = await view.locator('body').innerText()
  expect(text).toContain('TamperedContentError')
  expect(text).toContain(tampered.url)
  expect(text).toContain(probe.toString())
  expect(text).not.toContain('PROBE')
  expect(ms).toBeLessThan(10_000)
  expect(tampered.requests.length).toBeGreaterThan(0)
})

test('a dead gateway is skipped and the next one serves the content', async ({ guarded }) => {
  const page = await withWorker(guarded.context)
  const dead = await deadGatewayUrl()
  await setGateways(page, [dead, honest.url])
  const before = honest.requests.length
  const got = await page.evaluate(async (p) => {
    const res = await fetch(`./ipfs/${p}`)
    return { status: res.status, body: await res.text() }
  }, probe.toString())
  expect(got.status).toBe(200)
  expect(got.body).toBe(`PROBE-CONTENT ${'x'.repeat(64)}\n`)
  expect(honest.requests.length).toBeGreaterThan(before)
  // When every gateway fails, the error lists each one.
  await setGateways(page, [dead])
  const failed = await page.evaluate(async () => {
    const res = await fetch('./ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
    return { status: res.status, error: res.headers.get('x-cairn-error'), body: await res.text() }
  })
  expect(failed.status).toBe(502)
  expect(failed.error).toBe('AllGatewaysFailedError')
  expect(failed.body).toContain(dead)
})
