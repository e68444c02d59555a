/**
 * Test fixtures: every browser context gets a guard. A request or WebSocket from the page to any
 * host that is not loopback is aborted and recorded, and so is every uncaught error or unhandled
 * rejection in its pages (`pageerror`): either fails the test.
 */
import { test as base, expect } from '@playwright/test'
import type { Browser, BrowserContext, BrowserContextOptions, Page } from '@playwright/test'

export function isLoopbackUrl (raw: string): boolean {
  let url: URL
  try { url = new URL(raw) } catch { return true }
  if (url.protocol === 'data:' || url.protocol === 'blob:' || url.protocol === 'about:' || url.protocol === 'chrome-extension:') return true
  const h = url.hostname.replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

export interface GuardedContext {
  context: BrowserContext
  /** Non-loopback URLs the page tried to reach, and `page error: …` for each uncaught page error. */
  violations: string[]
}

export async function newGuardedContext (browser: Browser, options: BrowserContextOptions = {}): Promise<GuardedContext> {
  const context = await browser.newContext(options)
  const violations: string[] = []
  await context.route(url => !isLoopbackUrl(url.toString()), async route => {
    violations.push(route.request().url())
    await route.abort('blockedbyclient')
  })
  context.on('page', (page) => {
    page.on('websocket', ws => { if (!isLoopbackUrl(ws.url())) violations.push(ws.url()) })
    page.on('pageerror', err => { violations.push(`page error: ${err.stack ?? err.message}`) })
  })
  return { context, violations }
}

export const BASE_URL = (): string => {
  const url = process.env.CAIRN_BASE_URL
  if (url === undefined) throw new Error('CAIRN_BASE_URL is not set: run the tests through playwright.config.ts (global setup).')
  return url
}

/** Open the app and wait until the node is online. */
export async function openApp (context: BrowserContext, route = 'node', url = BASE_URL(), options: { forceLocal?: boolean } = {}): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', err => { console.error('[page error]', err.stack ?? err.message) })
  // `?profile=local` pins the local profile even when the machine is too loaded for the page to
  // read ./cairn-local.json in time on a first visit (it would then fall back to public).
  await page.goto(`${url}${options.forceLocal === false ? '' : '?profile=local'}#/${route}`)
  await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
  return page
}

export const test = base.extend<{ guarded: GuardedContext }>({
  guarded: async ({ browser }, use) => {
    const g = await newGuardedContext(browser)
    await use(g)
    await g.context.close()
    expect(g.violations, 'requests from the page to non-loopback hosts, and uncaught page errors').toEqual([])
  }
})

export { expect }

/** The page's own WebRTC address through the relay (waits for the reservation). */
export async function webrtcAddress (page: Page): Promise<string> {
  const code = page.locator('[data-testid="addresses"] code', { hasText: '/p2p-circuit/webrtc/p2p/' }).first()
  await expect(code).toBeVisible({ timeout: 30_000 })
  return (await code.textContent()) ?? ''
}

/** Dial a multiaddr from the Node page and wait for a WebRTC connection to `peer`. */
export async function dialWebRTC (page: Page, addr: string, peer: string): Promise<void> {
  await page.getByPlaceholder(/ip4/).fill(addr)
  await page.getByRole('button', { name: 'Dial' }).click()
  await expect(page.locator(`[data-testid="connections"] tr[data-peer="${peer}"][data-transport="webrtc"]`)).toHaveCount(1)
}
