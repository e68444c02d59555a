/**
 * The local network's pinning token belongs to the app's pages only. A page from another loopback
 * origin (another static server on this machine) can read neither cairn-local.json nor the pinning
 * API, even holding the token; the app's page reads and uses both.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startStaticServer } from '../../src/node/serve/static-server.js'
import { BASE_URL, expect, openApp, test } from '../fixtures.js'
import type { Page } from '@playwright/test'

interface Probe { ok: boolean, status?: number, body?: string, error?: string }

/** From inside `page`: GETs `url` (with the token when given) and reports what the page could read. */
async function probe (page: Page, url: string, token?: string): Promise<Probe> {
  return await page.evaluate(async ({ url, token }) => {
    try {
      const res = await fetch(url, { cache: 'no-store', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
      return { ok: res.ok, status: res.status, body: await res.text() }
    } catch (err) {
      return { ok: false, error: String(err) }
    }
  }, { url, token })
}

test('a page from another loopback origin cannot read the pinning token or use the pinning API; the app can', async ({ guarded }) => {
  const routing = process.env.CAIRN_ROUTING_URL!
  const token = process.env.CAIRN_PINNING_TOKEN!
  const dir = await mkdtemp(join(tmpdir(), 'cairn-other-origin-'))
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>another local site</title><p>hello')
  const other = await startStaticServer({ root: dir })
  try {
    expect(new URL(other.url).origin).not.toBe(new URL(BASE_URL()).origin)
    const evil = await guarded.context.newPage()
    await evil.goto(other.url)
    const targets = [
      `${routing}/cairn-local.json`,
      new URL('cairn-local.json', BASE_URL()).toString()
    ]
    for (const url of targets) {
      const got = await probe(evil, url)
      expect(got.ok, `${url}: ${JSON.stringify(got)}`).toBe(false)
      expect(got.body ?? '').not.toContain(token)
    }
    // Even a page that somehow holds the token: every preflight is refused, nothing is pinned.
    for (const path of ['/pinning/pins', '/pinning/capabilities']) {
      const got = await probe(evil, `${routing}${path}`, token)
      expect(got.ok, `${path}: ${JSON.stringify(got)}`).toBe(false)
      expect(got.error).toMatch(/Failed to fetch/)
    }
    const posted = await evil.evaluate(async ({ url, token }) => {
      try {
        await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ cid: 'bafkqaaa', name: 'from another origin' }) })
        return 'sent'
      } catch { return 'refused' }
    }, { url: `${routing}/pinning/pins`, token })
    expect(posted).toBe('refused')
    // The public parts stay open to every origin, like real gateways and routers.
    // (A block the peer does not hold: a readable 404, not a CORS failure. Not an identity CID:
    // its bytes are in the CID itself, and a conforming gateway answers it with 200.)
    const gateway = await probe(evil, `${routing}/ipfs/bafkreibojmwbkmyzbsfwn4vm6qb54qvmige4tror4yjj5aznwoc5leyrze?format=raw`)
    expect(gateway.error).toBeUndefined()
    expect(gateway.status).toBe(404)

    // The app's page reads the token and lists its pins.
    const app = await openApp(guarded.context, 'node')
    const info = await probe(app, `${routing}/cairn-local.json`)
    expect(info.ok).toBe(true)
    expect((JSON.parse(info.body ?? '{}') as { pinningService?: { token?: string } }).pinningService?.token).toBe(token)
    const list = await probe(app, `${routing}/pinning/pins?status=queued,pinning,pinned,failed&limit=1000`, token)
    expect(list.ok, JSON.stringify(list)).toBe(true)
    expect(list.body).not.toContain('from another origin')
  } finally {
    await other.close()
  }
})
