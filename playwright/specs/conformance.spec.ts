/**
 * ipfs/gateway-conformance through the real service worker in Chromium: the fixture CARs are
 * imported into the page's blockstore (Files → import CAR, the app's own path: every block
 * verified, roots pinned), the worker is left with no gateways (offline, as a pinned site is
 * served), and each case's request is sent with the page's fetch to `./ipfs/…`, which the worker
 * answers. The checks run here in Node, on the status, headers and bytes the page saw. The same
 * cases run in vitest (test/conformance/gateways.test.ts) against the worker's content module and
 * the local network's gateway.
 */
import { readFile } from 'node:fs/promises'
import { allCases } from '../../test/conformance/cases/index.js'
import { FIXTURES_DIR, FIXTURE_CARS, openFixture } from '../../test/conformance/fixtures.js'
import { unexpected } from '../../test/conformance/known-failures.js'
import { formatReport, runCases, saveReport } from '../../test/conformance/runner.js'
import { expect, openApp, test } from '../fixtures.js'
import type { Expectation, Transport } from '../../test/conformance/types.js'
import type { Page } from '@playwright/test'

/** The app imports a CAR whole and pins its roots, so this fixture (a block left out on purpose) cannot be stored in the page. */
const PARTIAL_CAR = 'trustless_gateway_car/file-3k-and-3-blocks-missing-block.car'

/**
 * Imports every fixture CAR. The page's Helia has no DAG-CBOR/DAG-JSON codec for its pin walker,
 * so a CAR holding such blocks fails at the pin step, after its blocks are stored (verified): that
 * failure is returned, not thrown, and its blocks still serve the cases.
 */
async function importFixtures (page: Page): Promise<string[]> {
  const unpinned: string[] = []
  for (const name of FIXTURE_CARS) {
    if (name === PARTIAL_CAR) continue
    const base64 = (await readFile(FIXTURES_DIR + name)).toString('base64')
    const failure = await page.evaluate(async ({ name, base64 }) => {
      const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0))
      try {
        await globalThis.cairn!.files.importCar(new File([bytes], name.replace(/\//g, '_')))
        return undefined
      } catch (err) {
        if ((err as Error).name === 'UnknownCodecError' || (err as Error).name === 'UnsupportedCodecError') return (err as Error).message
        throw err
      }
    }, { name, base64 })
    if (failure !== undefined) unpinned.push(`${name}: ${failure}`)
  }
  return unpinned
}

async function setWorkerGateways (page: Page, gateways: string[]): Promise<void> {
  await page.evaluate(async (list) => {
    const worker = (await navigator.serviceWorker.ready).active
    if (worker === null) throw new Error('no active service worker')
    const channel = new MessageChannel()
    const ack = new Promise(resolve => { channel.port1.onmessage = resolve })
    worker.postMessage({ type: 'cairn:set-gateways', gateways: list }, [channel.port2])
    await ack
  }, gateways)
}

function pageTransport (page: Page): Transport {
  return async (request) => {
    const got = await page.evaluate(async ({ path, method, headers }) => {
      const res = await fetch(`.${path}`, { method, headers, redirect: 'manual', cache: 'no-store' })
      const out: Record<string, string> = {}
      res.headers.forEach((value, name) => { out[name] = value })
      let body = ''
      try {
        const bytes = new Uint8Array(await res.arrayBuffer())
        let text = ''
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
        body = btoa(text)
      } catch { out['x-cairn-body-error'] = 'the body stream failed' }
      return { status: res.status, type: res.type, headers: out, body }
    }, { path: request.path, method: request.method ?? 'GET', headers: request.headers ?? {} })
    return { status: got.status, headers: got.headers, body: new Uint8Array(Buffer.from(got.body, 'base64')) }
  }
}

const isRedirect = (e: Expectation): boolean => e.status !== undefined && [301, 302, 303, 307, 308].includes(e.status)

test('the service worker passes the gateway-conformance cases but the known failures', async ({ guarded }) => {
  test.setTimeout(300_000)
  const page = await openApp(guarded.context, 'files')
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
  const unpinned = await importFixtures(page)
  if (unpinned.length > 0) console.log(`stored but not pinned (the page's pin walker lacks the codec):\n  ${unpinned.join('\n  ')}`)
  await setWorkerGateways(page, [])
  const partialRoot = (await openFixture(PARTIAL_CAR)).roots[0]?.toString() ?? PARTIAL_CAR
  const report = await runCases(allCases, 'sw', pageTransport(page), {
    skip: (request, expectation) => {
      const alternatives = Array.isArray(expectation) ? expectation : [expectation]
      if (alternatives.every(isRedirect)) return 'a page\'s fetch sees a redirect only as opaque (no status, no Location); checked in Node (gateways.test.ts)'
      if (request.path.includes(partialRoot)) return 'its fixture has a block left out on purpose, and the app imports a CAR only whole; checked in Node (gateways.test.ts)'
      return undefined
    }
  })
  await saveReport('sw-chromium.json', report)
  console.log(formatReport(report))
  expect(unexpected('sw', report.results)).toEqual({ newFailures: [], nowPassing: [] })
  expect(report.applicable).toBeGreaterThan(90)
})
