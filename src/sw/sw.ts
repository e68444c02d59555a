/**
 * Cairn's service worker (built by vite.sw.config.ts into dist/sw.js, scope `./`).
 *
 * - App shell: every file of the build is precached at install (`cairn-shell-<version>`), so the
 *   app opens offline. Navigations go to the network first (so a deploy shows), falling back to the
 *   cached index.html; other shell files come from the cache.
 * - Content: `<scope>ipfs/<cid>/<path>` is answered from the local IndexedDB blockstore (the
 *   page's `cairn/blocks/v1`), then from the gateways the page last sent, verified block by block
 *   and locked down with a sandbox CSP (see content.ts).
 * - Protocol handlers: a navigation to `<scope>?open=ipfs://<cid>/<path>` is redirected to
 *   `<scope>ipfs/<cid>/<path>`; `ipns://` launches are left to the app.
 * - Keep-alive: on a `periodicsync` event (tag `cairn-ipns-keepalive`, registered by the page in
 *   an installed app), the stored signed IPNS records are sent again to the delegated routers and
 *   the HTTP keepers (see keepalive.ts). Never re-signed here: the keys stay in the page.
 * - Updates: a new worker waits until the page asks it to take over (`cairn:skip-waiting`), so the
 *   UI can offer "reload to update" instead of swapping code under a running node.
 */
import { IDBBlockstore } from 'blockstore-idb'
import { contentAddressFor, errorPage, protocolLaunchTarget, serveContent } from './content.js'
import { PERIODIC_SYNC_TAG, runKeepAlive } from './keepalive.js'
import { MSG_ACK, MSG_SET_GATEWAYS, MSG_SKIP_WAITING, isPageMessage } from './protocol.js'
import { openKeepAliveStore } from '../platform/keepalive-store.js'

// Injected by vite.sw.config.ts: the build's files (relative to the worker) and a hash of them.
declare const __CAIRN_PRECACHE__: string[]
declare const __CAIRN_VERSION__: string

/** The parts of the ServiceWorkerGlobalScope this file uses (the WebWorker lib clashes with DOM). */
interface ExtendableEvent extends Event { waitUntil: (p: Promise<unknown>) => void }
interface FetchEvent extends ExtendableEvent {
  request: Request
  /** The navigation's response, requested by the browser while this worker started (navigation preload). */
  preloadResponse?: Promise<Response | undefined>
  respondWith: (r: Response | Promise<Response>) => void
}
interface ExtendableMessageEvent extends ExtendableEvent { data: unknown, ports: readonly MessagePort[] }
interface PeriodicSyncEvent extends ExtendableEvent { tag: string }
interface SWGlobal {
  location: Location
  registration: { scope: string, navigationPreload?: { enable: () => Promise<void> } }
  skipWaiting: () => Promise<void>
  clients: { claim: () => Promise<void> }
  addEventListener: ((type: 'install' | 'activate', fn: (e: ExtendableEvent) => void) => void) &
    ((type: 'fetch', fn: (e: FetchEvent) => void) => void) &
    ((type: 'message', fn: (e: ExtendableMessageEvent) => void) => void) &
    ((type: 'periodicsync', fn: (e: PeriodicSyncEvent) => void) => void)
}
const sw = globalThis as unknown as SWGlobal

const VERSION = __CAIRN_VERSION__
const SHELL_CACHE = `cairn-shell-${VERSION}`
const CONFIG_CACHE = 'cairn-sw-config'
const CONFIG_URL = new URL('./__cairn/config.json', sw.location.href).href
const BLOCKSTORE_NAME = 'cairn/blocks/v1'
const NAVIGATION_TIMEOUT_MS = 4000

const scopePath = new URL(sw.registration.scope).pathname
const shellUrls = new Set(__CAIRN_PRECACHE__.map(p => new URL(p, sw.location.href).href))
const indexUrl = new URL('./index.html', sw.location.href).href

let blockstore: Promise<IDBBlockstore> | undefined
function openBlockstore (): Promise<IDBBlockstore> {
  blockstore ??= (async () => {
    const store = new IDBBlockstore(BLOCKSTORE_NAME)
    await store.open()
    return store
  })().catch((err: unknown) => { blockstore = undefined; throw err })
  return blockstore
}

let gateways: string[] | undefined
async function loadGateways (): Promise<string[]> {
  if (gateways !== undefined) return gateways
  const res = await (await caches.open(CONFIG_CACHE)).match(CONFIG_URL)
  const stored = res === undefined ? undefined : await res.json().catch(() => undefined) as { gateways?: unknown } | undefined
  gateways = Array.isArray(stored?.gateways) ? stored.gateways.filter((g): g is string => typeof g === 'string') : []
  return gateways
}
async function saveGateways (next: string[]): Promise<void> {
  gateways = next
  await (await caches.open(CONFIG_CACHE)).put(CONFIG_URL, new Response(JSON.stringify({ gateways: next }), { headers: { 'content-type': 'application/json' } }))
}

sw.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE)
    // `reload` skips the HTTP cache: a file kept from an older deploy must not enter this one.
    await cache.addAll([...shellUrls].map(u => new Request(u, { cache: 'reload' })))
  })())
})

sw.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('cairn-shell-') && name !== SHELL_CACHE) await caches.delete(name)
    }
    // The browser asks for a navigation while this worker starts up, instead of after.
    await sw.registration.navigationPreload?.enable().catch(() => undefined)
    await sw.clients.claim()
  })())
})

sw.addEventListener('message', (event) => {
  const data = event.data
  if (!isPageMessage(data)) return
  const ack = (): void => { event.ports[0]?.postMessage({ type: MSG_ACK }) }
  if (data.type === MSG_SKIP_WAITING) {
    event.waitUntil(sw.skipWaiting().then(ack))
  } else if (data.type === MSG_SET_GATEWAYS) {
    event.waitUntil(saveGateways(data.gateways).then(ack))
  }
})

/** The browser gives a periodic sync event a few minutes at most; stop well before. */
const KEEPALIVE_BUDGET_MS = 60_000

async function keepAlive (): Promise<void> {
  const store = await openKeepAliveStore()
  try {
    const run = await runKeepAlive(store, { signal: AbortSignal.timeout(KEEPALIVE_BUDGET_MS) })
    const failed = run.results.filter(r => !r.ok)
    if (failed.length > 0) console.warn('Cairn keep-alive: some targets refused or failed:', failed)
  } finally {
    store.close()
  }
}

sw.addEventListener('periodicsync', (event) => {
  if (event.tag !== PERIODIC_SYNC_TAG) return
  event.waitUntil(keepAlive().catch((err: unknown) => { console.warn('Cairn keep-alive: the background round failed:', err) }))
})

async function navigation (request: Request, preloaded: Promise<Response | undefined> | undefined): Promise<Response> {
  try {
    const res = (await withinTimeout(preloaded)) ?? await fetch(request, { signal: AbortSignal.timeout(NAVIGATION_TIMEOUT_MS) })
    if (res.ok) return res
    const cached = await caches.match(indexUrl, { cacheName: SHELL_CACHE })
    return cached ?? res
  } catch (err) {
    const cached = await caches.match(indexUrl, { cacheName: SHELL_CACHE })
    if (cached !== undefined) return cached
    return errorPage(503, 'Cairn is offline', err)
  }
}

/** The preloaded response, or undefined when there is none, it failed, or it takes too long. */
async function withinTimeout (preloaded: Promise<Response | undefined> | undefined): Promise<Response | undefined> {
  if (preloaded === undefined) return undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, NAVIGATION_TIMEOUT_MS) })
  try {
    return await Promise.race([preloaded.catch(() => undefined), late])
  } finally {
    clearTimeout(timer)
  }
}

let shellCache: Promise<Cache> | undefined
/**
 * A file of the build, straight from this version's cache (one exact-URL lookup in a cache opened
 * once per worker start); the network only if the cache lost it.
 */
async function shellFile (request: Request, url: string): Promise<Response> {
  shellCache ??= caches.open(SHELL_CACHE)
  const cached = await (await shellCache).match(url)
  return cached ?? await fetch(request)
}

async function content (request: Request, address: string): Promise<Response> {
  try {
    const [store, gws] = await Promise.all([openBlockstore(), loadGateways()])
    return await serveContent({ blockstore: store, gateways: gws }, address, scopePath, {
      signal: AbortSignal.timeout(60_000),
      method: request.method === 'HEAD' ? 'HEAD' : 'GET',
      range: request.headers.get('range'),
      headers: request.headers
    })
  } catch (err) {
    return errorPage(500, 'Could not open this content', err)
  }
}

sw.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET' && request.method !== 'HEAD') return
  const url = new URL(request.url)
  if (url.origin !== sw.location.origin || !url.pathname.startsWith(scopePath)) return
  // A navigation answered without the preloaded response must still let it settle.
  if (request.mode === 'navigate' && event.preloadResponse !== undefined) event.waitUntil(event.preloadResponse.catch(() => undefined))
  const address = contentAddressFor(url, scopePath)
  if (address !== undefined) {
    event.respondWith(content(request, address))
    return
  }
  const rel = url.pathname.slice(scopePath.length)
  if (rel === 'sw.js' || rel === 'cairn-local.json') return
  if (request.mode === 'navigate' && (rel === '' || rel === 'index.html')) {
    // An ipfs:// link opened through the manifest's protocol handler goes straight to the content.
    const launch = protocolLaunchTarget(url, sw.registration.scope)
    event.respondWith(launch === undefined ? navigation(request, event.preloadResponse) : Response.redirect(launch, 302))
    return
  }
  const clean = url.origin + url.pathname
  if (shellUrls.has(clean)) event.respondWith(shellFile(request, clean))
})
