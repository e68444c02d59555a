/**
 * The service worker's content path (src/sw/content.ts: `contentAddressFor` + `serveContent`, what
 * sw.ts calls for `<scope>ipfs/…`) run in Node over a memory blockstore holding the fixtures, with
 * no gateways (offline, as a pinned site is served). Quick to run in vitest; the same cases run
 * through the real worker in Chromium in playwright/specs/conformance.spec.ts.
 */
import { MemoryBlockstore } from 'blockstore-core'
import { contentAddressFor, serveContent } from '../../src/sw/content.js'
import { allCases } from './cases/index.js'
import { loadFixtures } from './load.js'
import { runCases } from './runner.js'
import type { ConformanceReport, Transport } from './types.js'

const SCOPE = '/'

export async function swNodeTransport (): Promise<Transport> {
  const blockstore = new MemoryBlockstore()
  await loadFixtures(blockstore)
  return async (request) => {
    const url = new URL(`http://127.0.0.1${SCOPE}${request.path.slice(1)}`)
    const address = contentAddressFor(url, SCOPE)
    const headers = new Headers(request.headers)
    const res = address === undefined
      ? new Response('not a content address', { status: 404 })
      : await serveContent({ blockstore, gateways: [] }, address, SCOPE, {
        signal: AbortSignal.timeout(20_000),
        method: request.method === 'HEAD' ? 'HEAD' : 'GET',
        range: headers.get('range'),
        headers
      })
    const out: Record<string, string> = {}
    res.headers.forEach((value, name) => { out[name] = value })
    let body: Uint8Array
    try { body = new Uint8Array(await res.arrayBuffer()) } catch { body = new Uint8Array(); out['x-cairn-body-error'] = 'the body stream failed' }
    return { status: res.status, headers: out, body }
  }
}

export async function runSwNodeConformance (): Promise<ConformanceReport> {
  return await runCases(allCases, 'sw', await swNodeTransport())
}
