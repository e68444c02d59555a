import { MemoryBlockstore } from 'blockstore-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAll } from '../../../src/ipfs/add/index.js'
import { CONTENT_CSP, ERROR_PAGE_CSP, contentAddressFor, directoryPage, escapeHtml, protocolLaunchTarget, serveContent } from '../../../src/sw/content.js'
import { startGateway } from './helpers.js'
import type { TestGateway } from './helpers.js'
import type { CID } from 'multiformats/cid'

const enc = new TextEncoder()
const EVIL = '<img src=x onerror=alert(1)>"\'.html'
const source = new MemoryBlockstore()
let site: CID
let gateway: TestGateway

beforeAll(async () => {
  const roots = await addAll(source, [
    { path: 'site/index.html', content: [enc.encode('<h1>home</h1>')] },
    { path: 'site/files/readme.txt', content: [enc.encode('<b>not bold</b>\n')] },
    { path: `site/files/${EVIL}`, content: [enc.encode('evil')] }
  ], { profile: 'unixfs-v1-2025' })
  site = roots[0]!.cid
  gateway = await startGateway(source, 'honest')
})

afterAll(async () => { await gateway?.close() })

describe('service worker content answers', () => {
  it('maps only <scope>ipfs/<cid>… to content addresses', () => {
    const scope = '/ipfs/app/sub/'
    expect(contentAddressFor(new URL('http://h/ipfs/app/sub/ipfs/bafyx/a/b?x=1'), scope)).toBe('/ipfs/bafyx/a/b?x=1')
    expect(contentAddressFor(new URL('http://h/ipfs/app/sub/index.html'), scope)).toBeUndefined()
    expect(contentAddressFor(new URL('http://h/ipfs/bafyx/'), scope)).toBeUndefined()
    expect(contentAddressFor(new URL('http://h/ipfs/app/sub/ipfs/'), scope)).toBeUndefined()
  })

  it('turns an ipfs:// protocol launch into a path under the scope, and leaves names to the app', () => {
    const scope = 'http://h/ipfs/app/sub/'
    const cid = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
    const launch = (open: string): string | undefined => protocolLaunchTarget(new URL(`${scope}?open=${encodeURIComponent(open)}`), scope)
    expect(launch(`ipfs://${cid}/a%20b/c.txt`)).toBe(`${scope}ipfs/${cid}/a%20b/c.txt`)
    expect(launch(`/ipfs/${cid}`)).toBe(`${scope}ipfs/${cid}`)
    expect(launch('ipns://example.org/x')).toBeUndefined()
    expect(launch('https://example.org/')).toBeUndefined()
    expect(protocolLaunchTarget(new URL(scope), scope)).toBeUndefined()
  })

  it('serves local content with the sandbox CSP, nosniff and no cookies', async () => {
    const res = await serveContent({ blockstore: source, gateways: [] }, `/ipfs/${site.toString()}/files/readme.txt`, '/')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('<b>not bold</b>\n')
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_CSP)
    expect(CONTENT_CSP).toMatch(/^sandbox /)
    expect(CONTENT_CSP).not.toContain('allow-scripts')
    expect(CONTENT_CSP).toContain("script-src 'none'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('serves index.html for a directory, and rewrites a directory redirect into the scope', async () => {
    const index = await serveContent({ blockstore: source, gateways: [] }, `/ipfs/${site.toString()}/`, '/app/')
    expect(await index.text()).toBe('<h1>home</h1>')
    const redirect = await serveContent({ blockstore: source, gateways: [] }, `/ipfs/${site.toString()}/files`, '/app/')
    expect(redirect.status).toBeGreaterThanOrEqual(300)
    expect(redirect.status).toBeLessThan(400)
    expect(redirect.headers.get('location')).toBe(`/app/ipfs/${site.toString()}/files/`)
  })

  it('lists a directory without index.html as escaped HTML, never as raw dag-pb', async () => {
    const res = await serveContent({ blockstore: source, gateways: [] }, `/ipfs/${site.toString()}/files/`, '/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_CSP)
    const html = await res.text()
    expect(html).toContain('readme.txt')
    expect(html).not.toContain('<img')
    expect(html).toContain(escapeHtml(EVIL))
    expect(html).toContain(`href="./${escapeHtml(encodeURIComponent(EVIL))}"`)
  })

  it('never puts a raw file name into Content-Disposition (quotes and backslashes never reach the quoted name)', async () => {
    const res = await serveContent({ blockstore: source, gateways: [] }, `/ipfs/${site.toString()}/files/${encodeURIComponent(EVIL)}`, '/')
    expect(await res.text()).toBe('evil')
    const disp = res.headers.get('content-disposition')
    expect(disp).toBe(`inline; filename="<img src=x onerror=alert(1)>_'.html"; filename*=UTF-8''${encodeURIComponent(EVIL)}`)
  })

  it('answers missing local content with an escaped error page, and fetches it from a gateway when one is set', async () => {
    const local = new MemoryBlockstore()
    const offline = await serveContent({ blockstore: local, gateways: [] }, `/ipfs/${site.toString()}/`, '/')
    expect(offline.status).toBe(504)
    expect(offline.headers.get('x-cairn-error')).toBe('NotAvailableOfflineError')
    expect(offline.headers.get('content-security-policy')).toBe(ERROR_PAGE_CSP)
    expect(await offline.text()).toContain('Pin it while online')

    const online = await serveContent({ blockstore: local, gateways: [gateway.url] }, `/ipfs/${site.toString()}/`, '/')
    expect(await online.text()).toBe('<h1>home</h1>')
    expect(await local.has(site)).toBe(true) // kept for offline use
  })

  it('escapes names in listings and messages', () => {
    expect(escapeHtml('<a href="x">\'&')).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;')
    const page = directoryPage('/ipfs/x/<script>', [{ name: '<script>alert(1)</script>', cid: 'bafy', size: 2048n }])
    expect(page).not.toContain('<script>')
    expect(page).toContain('2.0 KiB')
  })
})
