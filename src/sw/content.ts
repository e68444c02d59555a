/**
 * Answers `<scope>/ipfs/<cid>/<path>` in the service worker: verified retrieval from the local
 * blockstore first, then the configured gateways (never peers: no WebRTC here). Every answer is
 * locked down so untrusted content never runs with the app origin's privileges:
 *
 * - `Content-Security-Policy: sandbox allow-same-origin …; script-src 'none'` — no script runs at
 *   all (not even inline handlers), no forms, no plugins, no top navigation. `allow-same-origin`
 *   is kept so the document stays controlled by this worker and its CSS and images load offline;
 *   without scripts, being same-origin grants nothing (no storage, no DOM of other documents).
 * - `X-Content-Type-Options: nosniff` so a `.txt` holding HTML stays text.
 * - error pages escape every name and message they show.
 */
import { CairnError, errorToObject } from '../core/errors.js'
import { showName, unsafeNameReason } from '../core/names.js'
import { AllGatewaysFailedError, ContentPathNotFoundError, InvalidContentPathError, NotAvailableOfflineError, TamperedContentError, fetchContent, listDirectory, parseContentPath } from '../ipfs/fetch/index.js'
import { disposition, listingEtag, notModified, plainType, precheck, textType } from './gateway-path.js'
import { serveTar } from './gateway-tar.js'
import { serveTrustless } from './gateway-trustless.js'
import type { BlockSources } from '../ipfs/fetch/index.js'

/** The CSP every `/ipfs/` answer carries. */
export const CONTENT_CSP = [
  'sandbox allow-same-origin allow-downloads allow-popups allow-popups-to-escape-sandbox',
  "script-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  "default-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline' data:"
].join('; ')

/** The CSP of the worker's own error pages. */
export const ERROR_PAGE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'"

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)
}

/**
 * The target of a protocol-handler launch (`<scope>?open=ipfs://…`, from the manifest's
 * `protocol_handlers`): `<scope>ipfs/<cid>/<path>` for an `ipfs:` or `/ipfs/` address, else
 * undefined (names are left to the app, which can resolve them).
 */
export function protocolLaunchTarget (url: URL, scopeUrl: string): string | undefined {
  const open = url.searchParams.get('open')
  if (open === null) return undefined
  let target
  try {
    target = parseContentPath(open)
  } catch {
    return undefined
  }
  if (target.namespace !== 'ipfs') return undefined
  return new URL(`ipfs/${target.root}${target.path}${target.search}`, scopeUrl).href
}

/** `<scope path>ipfs/<cid>[/path]` → the content address, or undefined for other paths. */
export function contentAddressFor (url: URL, scopePath: string): string | undefined {
  if (!url.pathname.startsWith(scopePath)) return undefined
  const rel = url.pathname.slice(scopePath.length)
  if (!/^ipfs\/[^/]+/.test(rel)) return undefined
  return '/' + rel + url.search
}

function securityHeaders (headers: Headers): Headers {
  headers.set('content-security-policy', CONTENT_CSP)
  headers.set('x-content-type-options', 'nosniff')
  headers.set('referrer-policy', 'no-referrer')
  headers.set('cross-origin-resource-policy', 'same-origin')
  headers.delete('set-cookie')
  headers.delete('service-worker-allowed')
  return headers
}

export function errorPage (status: number, title: string, err: unknown): Response {
  const e = errorToObject(err)
  const body = `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{word-break:break-all}</style>' +
    `<h1>${escapeHtml(title)}</h1><p data-error="${escapeHtml(e.name)}"><strong>${escapeHtml(e.name)}</strong>: ${escapeHtml(e.message)}</p>`
  return new Response(body, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': ERROR_PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'x-cairn-error': e.name
    }
  })
}

const STATUS = new Map<string, number>([
  [NotAvailableOfflineError.code, 504],
  [ContentPathNotFoundError.code, 404],
  [InvalidContentPathError.code, 400],
  [TamperedContentError.code, 502],
  [AllGatewaysFailedError.code, 502]
])

function formatSize (size: bigint): string {
  const n = Number(size)
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** A listing's link to `name`, or plain text when the name is no path segment ("..", "a/b", …). */
function entryCell (name: string): string {
  const unsafe = unsafeNameReason(name)
  if (unsafe !== undefined) return `<span data-refused-name title="${escapeHtml(`not linked: ${unsafe}`)}">${escapeHtml(showName(name))}</span> (not linked: ${escapeHtml(unsafe)})`
  return `<a href="./${escapeHtml(encodeURIComponent(name))}">${escapeHtml(name)}</a>`
}

/**
 * An HTML listing of a directory without index.html; every name is escaped and URL-encoded, and a
 * name that is no path segment (empty, ".", "..", with "/" or NUL) is shown without a link, so no
 * link leaves the directory.
 */
export function directoryPage (ipfsPath: string, entries: ReadonlyArray<{ name: string, cid: string, size: bigint }>): string {
  const rows = entries.map(e => `<tr><td>${entryCell(e.name)}</td><td>${formatSize(e.size)}</td><td><code>${escapeHtml(e.cid)}</code></td></tr>`)
  return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(ipfsPath)}</title>` +
    '<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem}td{padding:.2rem .8rem .2rem 0}code{font-size:.85em;color:#555}</style>' +
    `<h1>Index of <code>${escapeHtml(ipfsPath)}</code></h1><table><thead><tr><th>Name</th><th>Size</th><th>CID</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

export interface ServeOptions {
  signal?: AbortSignal | undefined
  method?: 'GET' | 'HEAD' | undefined
  /** The request's Range header, passed on. */
  range?: string | null | undefined
  /** The request's headers (Accept, If-None-Match, Cache-Control, …). */
  headers?: Headers | undefined
  gatewayTimeoutMs?: number | undefined
}

/** The request headers to pass on: all of them when given, else the Range header alone. */
function requestHeaders (options: ServeOptions): Headers {
  const headers = new Headers(options.headers)
  if (options.range !== null && options.range !== undefined) headers.set('range', options.range)
  return headers
}

/** `?format=` wins over `Accept` (IPIP-523): verified-fetch gets no Accept when the address has one. */
function fetchHeaders (address: string, headers: Headers): Headers {
  if (!new URLSearchParams(parseContentPath(address).search).has('format')) return headers
  const out = new Headers(headers)
  out.delete('accept')
  return out
}

/**
 * Serves one content request. `address` comes from `contentAddressFor`; `scopePath` is the
 * worker's scope path (for rewriting redirects).
 */
export async function serveContent (sources: BlockSources, address: string, scopePath: string, options: ServeOptions = {}): Promise<Response> {
  let res: Response
  try {
    parseContentPath(address)
    const request = { method: options.method ?? 'GET', headers: requestHeaders(options), signal: options.signal, gatewayTimeoutMs: options.gatewayTimeoutMs } as const
    const early = await serveTrustless(sources, address, request) ?? await serveTar(sources, address, request) ?? await precheck(sources, address, request)
    if (early !== undefined) return new Response(early.body, { status: early.status, headers: securityHeaders(new Headers(early.headers)) })
    res = await fetchContent(sources, address, {
      signal: options.signal,
      method: options.method,
      headers: fetchHeaders(address, request.headers),
      offline: sources.gateways.length === 0,
      gatewayTimeoutMs: options.gatewayTimeoutMs
    })
  } catch (err) {
    const code = err instanceof CairnError ? err.code : ''
    const status = STATUS.get(code) ?? (err instanceof CairnError ? 502 : 500)
    const title = err instanceof NotAvailableOfflineError
      ? 'Not stored on this device'
      : err instanceof TamperedContentError ? 'Rejected: the content did not match its CID' : 'Could not open this content'
    return errorPage(status, title, err)
  }
  const headers = securityHeaders(new Headers(res.headers))
  const disp = disposition(headers.get('content-disposition'), address)
  if (disp !== undefined) headers.set('content-disposition', disp)
  const plain = plainType(address, requestHeaders(options), headers.get('content-type'))
  if (plain !== undefined) headers.set('content-type', plain)
  else if (res.status === 200) {
    const text = textType(address, headers.get('x-unixfs-type'), headers.get('content-type'))
    if (text !== undefined) {
      headers.set('content-type', text)
      // Shown, not saved: unless the address asked for a download (?download=true).
      if (new URLSearchParams(parseContentPath(address).search).get('download') !== 'true') {
        const d = headers.get('content-disposition')
        if (d !== null) headers.set('content-disposition', d.replace(/^\s*attachment/i, 'inline'))
      }
    }
  }
  if (headers.get('x-unixfs-type') === 'directory' && !(headers.get('content-type') ?? '').startsWith('text/html')) {
    // verified-fetch answers a directory without index.html with its raw dag-pb block.
    await res.body?.cancel().catch(() => {})
    try {
      const listing = await listDirectory(sources, address, { signal: options.signal, offline: sources.gateways.length === 0, gatewayTimeoutMs: options.gatewayTimeoutMs })
      headers.set('content-type', 'text/html; charset=utf-8')
      headers.delete('content-length')
      headers.delete('content-disposition')
      headers.delete('cache-control')
      const dirCid = headers.get('x-ipfs-roots')?.split(',').pop()
      if (dirCid === undefined || dirCid === '') headers.delete('etag')
      else headers.set('etag', listingEtag(dirCid))
      if (notModified(requestHeaders(options).get('if-none-match'), headers.get('etag'))) return new Response(null, { status: 304, headers })
      return new Response(options.method === 'HEAD' ? null : directoryPage(listing.ipfsPath, listing.entries), { status: 200, headers })
    } catch (err) {
      return errorPage(502, 'Could not list this directory', err)
    }
  }
  const location = headers.get('location')
  if (location !== null && location.startsWith('ipfs://')) {
    headers.set('location', `${scopePath}ipfs/${location.slice('ipfs://'.length)}`)
  }
  if (res.status === 200 && notModified(requestHeaders(options).get('if-none-match'), headers.get('etag'))) {
    await res.body?.cancel().catch(() => {})
    return new Response(null, { status: 304, headers })
  }
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers })
}
