/**
 * The Kubo and Cluster keepers run in the page: in real Chromium, over HTTP/1.1 (no streamed
 * request bodies), a 9 MiB file goes to the local network's Kubo RPC and Cluster subsets as CAR
 * parts (FormData, with a CORS preflight for the Authorization header) and is pinned there; a
 * signed IPNS record is kept through Kubo. A page from an origin not on the allow-list cannot use
 * either API, even holding the token.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'vite'
import { peerIdFromCID } from '@libp2p/peer-id'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { isPinned } from '../../src/ipfs/pins/index.js'
import { startLocalNetwork } from '../../src/node/network/index.js'
import { startStaticServer } from '../../src/node/serve/static-server.js'
import { expect, test } from '../fixtures.js'
import type { PushResult } from '../harness/keepers/main.js'
import type { Page } from '@playwright/test'

interface Harness {
  push: (kind: 'kubo' | 'cluster', endpoint: string, token: string, mib: number, seed: number) => Promise<PushResult>
  pushRecord: (endpoint: string, token: string, value: string) => Promise<PushResult>
  status: (kind: 'kubo' | 'cluster', endpoint: string, token: string, root: string) => Promise<PushResult>
}

async function open (page: Page, url: string): Promise<void> {
  await page.goto(url)
  await page.waitForFunction(() => (globalThis as { keepersHarness?: unknown }).keepersHarness !== undefined)
}

test('the Kubo and Cluster keepers push a DAG in parts from the page; a foreign origin is refused', async ({ guarded }) => {
  test.setTimeout(180_000)
  const dir = await mkdtemp(join(tmpdir(), 'cairn-keepers-'))
  await build({
    configFile: false,
    root: join(import.meta.dirname, '../harness/keepers'),
    base: './',
    logLevel: 'error',
    build: { outDir: join(dir, 'site'), emptyOutDir: true, target: 'es2022' }
  })
  const site = await startStaticServer({ root: join(dir, 'site') })
  const foreign = await startStaticServer({ root: join(dir, 'site') })
  const net = await startLocalNetwork({ allowedOrigins: [new URL(site.url).origin] })
  try {
    const countPins = async (): Promise<number> => {
      let n = 0
      for await (const _ of net.helia.pins.ls()) n++
      return n
    }
    const kubo = net.info.kuboRpc!
    const cluster = net.info.cluster!
    const page = await guarded.context.newPage()
    await open(page, site.url)

    const viaKubo = await page.evaluate(async ({ kubo }) => await (globalThis as unknown as { keepersHarness: Harness }).keepersHarness.push('kubo', kubo.endpoint, kubo.token, 9, 1), { kubo })
    expect(viaKubo.error, JSON.stringify(viaKubo.error)).toBeUndefined()
    expect(viaKubo.state).toBe('pinned')
    expect(viaKubo.uploads).toBeGreaterThanOrEqual(2)
    expect(await isPinned(net.helia, CID.parse(viaKubo.root!))).toBe(true)

    const viaCluster = await page.evaluate(async ({ cluster }) => await (globalThis as unknown as { keepersHarness: Harness }).keepersHarness.push('cluster', cluster.endpoint, cluster.token, 9, 2), { cluster })
    expect(viaCluster.error, JSON.stringify(viaCluster.error)).toBeUndefined()
    expect(viaCluster.state).toBe('pinned')
    expect(viaCluster.uploads).toBeGreaterThanOrEqual(2)
    expect(await isPinned(net.helia, CID.parse(viaCluster.root!))).toBe(true)

    const record = await page.evaluate(async ({ kubo, value }) => await (globalThis as unknown as { keepersHarness: Harness }).keepersHarness.pushRecord(kubo.endpoint, kubo.token, value), { kubo, value: `/ipfs/${viaKubo.root!}` })
    expect(record.error, JSON.stringify(record.error)).toBeUndefined()
    const held = net.router.describeRecord(peerIdFromCID(CID.parse(record.record!.name, base36)))
    expect(held).toBe(`/ipfs/${viaKubo.root!}`)

    // Another origin, even with the token: the preflight is refused, so the keepers cannot reach the API.
    const pinsBefore = await countPins()
    const evil = await guarded.context.newPage()
    await open(evil, foreign.url)
    for (const [kind, api] of [['kubo', kubo], ['cluster', cluster]] as const) {
      const got = await evil.evaluate(async ({ kind, api, root }) => await (globalThis as unknown as { keepersHarness: Harness }).keepersHarness.status(kind, api.endpoint, api.token, root), { kind, api, root: viaKubo.root! })
      expect(got.error?.code, JSON.stringify(got)).toBe('ERR_KEEPER_UNREACHABLE')
    }
    const pushed = await evil.evaluate(async ({ kubo }) => await (globalThis as unknown as { keepersHarness: Harness }).keepersHarness.push('kubo', kubo.endpoint, kubo.token, 1, 3), { kubo })
    expect(pushed.error?.code).toBe('ERR_KEEPER_UNREACHABLE')
    expect(await countPins()).toBe(pinsBefore)
  } finally {
    await net.stop()
    await Promise.all([site.close(), foreign.close()])
  }
})
