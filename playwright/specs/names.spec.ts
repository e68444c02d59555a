import { readFile } from 'node:fs/promises'
import { expect, newGuardedContext, openApp, test } from '../fixtures.js'
import type { Page } from '@playwright/test'

/** Waits until the page's node is connected to a peer that identify says takes IPNS records (the local network peer). */
async function waitForRecordPeer (page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    const libp2p = globalThis.cairn!.node.node().libp2p
    for (const c of libp2p.getConnections()) {
      const peer = await libp2p.peerStore.get(c.remotePeer).catch(() => undefined)
      if (peer?.protocols.includes('/ipfs/kad/1.0.0') === true) return true
    }
    return false
  }, undefined, { timeout: 30_000, polling: 200 })
}

/** Saves settings with no delegated router, so names travel over libp2p only. */
async function withoutRouters (page: Page): Promise<void> {
  await page.evaluate(async () => {
    const app = globalThis.cairn!
    const next = structuredClone(app.settings.get()!)
    next.profiles[next.profile].delegatedRouters = []
    await app.saveSettings(next)
  })
  await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
  await waitForRecordPeer(page)
}

test('a page publishes a name, the local delegated router stores a valid record, and a second page resolves it', async ({ browser }) => {
  const a = await newGuardedContext(browser)
  const b = await newGuardedContext(browser)
  try {
    const pageA = await openApp(a.context, 'names')
    await pageA.getByPlaceholder('New key name').fill('site')
    await pageA.getByRole('button', { name: 'Create key' }).click()
    const row = pageA.locator('[data-testid="keys"] tr[data-key="site"]')
    await expect(row).toBeVisible()
    const name = (await row.getAttribute('data-name')) ?? ''
    expect(name).toMatch(/^k51/)

    await waitForRecordPeer(pageA)
    const form = pageA.getByTestId('publish-form')
    const first = await pageA.evaluate(async () => globalThis.cairn!.blocks.put(new TextEncoder().encode('first version')))
    await form.getByPlaceholder(/ipfs/).fill(`/ipfs/${first}`)
    await form.getByRole('button', { name: 'Publish' }).click()
    await expect(pageA.getByTestId('publish-result')).toContainText('(sequence 0)')
    // Publishing again moves the sequence up; the router keeps the newest record.
    const cid = await pageA.evaluate(async () => globalThis.cairn!.blocks.put(new TextEncoder().encode('named content')))
    await form.getByPlaceholder(/ipfs/).fill(`/ipfs/${cid}`)
    await form.getByRole('button', { name: 'Publish' }).click()
    await expect(pageA.getByTestId('publish-result')).toContainText('(sequence 1)')
    // Stored by the delegated router (HTTP PUT) and by the connected local network peer (libp2p).
    await expect(pageA.locator('[data-testid="publish-result"] li[data-ok="true"]')).toHaveCount(2)
    await expect(pageA.locator('[data-testid="publish-result"] li[data-via="libp2p"][data-ok="true"]')).toHaveCount(1)

    // The router holds a record that validates for this name (checked from Node, with our inspector).
    const routing = process.env.CAIRN_ROUTING_URL!
    const res = await fetch(`${routing}/routing/v1/ipns/${name}`, { headers: { accept: 'application/vnd.ipfs.ipns-record' } })
    expect(res.status).toBe(200)
    const { inspectRecord } = await import('../../src/ipfs/ipns/index.js')
    const verdict = await inspectRecord(new Uint8Array(await res.arrayBuffer()), { name })
    expect(verdict.valid && verdict.value).toBe(`/ipfs/${cid}`)

    // Another browser resolves it, by k51 and by /ipns/ path.
    const pageB = await openApp(b.context, 'names')
    const rf = pageB.getByTestId('resolve-form')
    await rf.getByRole('textbox').fill(name)
    await rf.getByRole('button', { name: 'Resolve' }).click()
    await expect(pageB.getByTestId('resolved-value')).toHaveText(`/ipfs/${cid}`)

    // An ipns:// link launched through the protocol handler resolves on the Names page.
    await pageB.goto(`${process.env.CAIRN_BASE_URL!}?profile=local&open=${encodeURIComponent(`ipns://${name}`)}`)
    await expect(pageB.getByTestId('resolved-value')).toHaveText(`/ipfs/${cid}`)

    // Export the signed record; the inspector in page B says it is valid; a tampered copy is not.
    const [download] = await Promise.all([pageA.waitForEvent('download'), row.getByRole('button', { name: 'Export record' }).click()])
    const bytes = await readFile(await download.path())
    await pageB.getByTestId('inspect-file').setInputFiles({ name: `${name}.ipns-record`, mimeType: 'application/vnd.ipfs.ipns-record', buffer: bytes })
    await expect(pageB.getByTestId('verdict')).toHaveAttribute('data-valid', 'true')
    const tampered = Buffer.from(bytes)
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0xff
    await pageB.getByTestId('inspect-file').setInputFiles({ name: `${name}.ipns-record`, mimeType: 'application/vnd.ipfs.ipns-record', buffer: tampered })
    await expect(pageB.getByTestId('verdict')).toHaveAttribute('data-valid', 'false')
  } finally {
    await Promise.all([a.context.close(), b.context.close()])
  }
  expect([...a.violations, ...b.violations]).toEqual([])
})

test('with no delegated router, a page publishes over libp2p to its connected peers (the local network peer, then another tab), and a second page resolves it over libp2p', async ({ browser }) => {
  const a = await newGuardedContext(browser)
  const b = await newGuardedContext(browser)
  try {
    const pageA = await openApp(a.context, 'names')
    await withoutRouters(pageA)
    await pageA.getByPlaceholder('New key name').fill('p2p-only')
    await pageA.getByRole('button', { name: 'Create key' }).click()
    const row = pageA.locator('[data-testid="keys"] tr[data-key="p2p-only"]')
    await expect(row).toBeVisible()
    const name = (await row.getAttribute('data-name')) ?? ''

    const cid = await pageA.evaluate(async () => globalThis.cairn!.blocks.put(new TextEncoder().encode('published over libp2p')))
    const form = pageA.getByTestId('publish-form')
    await form.getByPlaceholder(/ipfs/).fill(`/ipfs/${cid}`)
    await form.getByRole('button', { name: 'Publish' }).click()
    await expect(pageA.getByTestId('publish-result')).toContainText('(sequence 0)')
    // One target only: the local network peer, over libp2p.
    await expect(pageA.locator('[data-testid="publish-result"] li')).toHaveCount(1)
    await expect(pageA.locator('[data-testid="publish-result"] li[data-via="libp2p"][data-ok="true"]')).toContainText('over libp2p: stored')

    // The record arrived over libp2p and is served by the peer's Routing V1 API as well.
    const res = await fetch(`${process.env.CAIRN_ROUTING_URL!}/routing/v1/ipns/${name}`, { headers: { accept: 'application/vnd.ipfs.ipns-record' } })
    expect(res.status).toBe(200)
    const { inspectRecord } = await import('../../src/ipfs/ipns/index.js')
    const verdict = await inspectRecord(new Uint8Array(await res.arrayBuffer()), { name })
    expect(verdict.valid && verdict.value).toBe(`/ipfs/${cid}`)

    // A second browser, also without routers, resolves the name from the peer over libp2p.
    const pageB = await openApp(b.context, 'names')
    await withoutRouters(pageB)
    const rf = pageB.getByTestId('resolve-form')
    await rf.getByRole('textbox').fill(`/ipns/${name}`)
    await rf.getByRole('button', { name: 'Resolve' }).click()
    await expect(pageB.getByTestId('resolved-value')).toHaveText(`/ipfs/${cid}`)

    // Tab to tab: A connects to B through the relay and publishes again. B follows the name (it
    // resolved it), so it takes the new record into its own name state at once.
    const peerB = await pageB.evaluate(() => globalThis.cairn!.node.node().libp2p.peerId.toString())
    const circuit = await pageB.evaluate(() => globalThis.cairn!.node.node().libp2p.getMultiaddrs().map(String).find(a => a.includes('/p2p-circuit/') && !a.includes('/webrtc')))
    expect(circuit).toBeDefined()
    await pageA.evaluate(async (addr) => { await globalThis.cairn!.node.dial(addr) }, circuit!)
    await pageA.waitForFunction(async (id) => {
      const libp2p = globalThis.cairn!.node.node().libp2p
      const connection = libp2p.getConnections().find(c => c.remotePeer.toString() === id)
      if (connection === undefined) return false
      const peer = await libp2p.peerStore.get(connection.remotePeer).catch(() => undefined)
      return peer?.protocols.includes('/ipfs/kad/1.0.0') === true
    }, peerB, { timeout: 30_000, polling: 200 })
    const next = await pageA.evaluate(async () => globalThis.cairn!.blocks.put(new TextEncoder().encode('second value, pushed tab to tab')))
    await form.getByPlaceholder(/ipfs/).fill(`/ipfs/${next}`)
    await form.getByRole('button', { name: 'Publish' }).click()
    await expect(pageA.getByTestId('publish-result')).toContainText('(sequence 1)')
    await expect(pageA.locator('[data-testid="publish-result"] li[data-via="libp2p"][data-ok="true"]')).toHaveCount(2)
    await expect(pageA.locator(`[data-testid="publish-result"] li[data-ok="true"] code[title="/p2p/${peerB}"]`)).toHaveCount(1)
    const held = await pageB.evaluate(async (k51) => {
      const names = globalThis.cairn!.names
      return await names.inspect(await names.exportRecord(k51), k51)
    }, name)
    expect(held).toMatchObject({ valid: true, sequence: '1', value: `/ipfs/${next}` })
  } finally {
    await Promise.all([a.context.close(), b.context.close()])
  }
  expect([...a.violations, ...b.violations]).toEqual([])
})

test('starting the page again with nothing changed sends the same record: the sequence stays where it was', async ({ guarded }) => {
  const page = await openApp(guarded.context, 'names')
  await page.getByPlaceholder('New key name').fill('steady')
  await page.getByRole('button', { name: 'Create key' }).click()
  const row = page.locator('[data-testid="keys"] tr[data-key="steady"]')
  await expect(row).toBeVisible()
  const name = (await row.getAttribute('data-name')) ?? ''
  const cid = await page.evaluate(async () => globalThis.cairn!.blocks.put(new TextEncoder().encode('a value that does not change')))
  const form = page.getByTestId('publish-form')
  await form.getByPlaceholder(/ipfs/).fill(`/ipfs/${cid}`)
  await form.getByRole('button', { name: 'Publish' }).click()
  await expect(page.getByTestId('publish-result')).toContainText('(sequence 0)')

  const routerSequence = async (): Promise<string | undefined> => {
    const res = await fetch(`${process.env.CAIRN_ROUTING_URL!}/routing/v1/ipns/${name}`, { headers: { accept: 'application/vnd.ipfs.ipns-record' } })
    const { inspectRecord } = await import('../../src/ipfs/ipns/index.js')
    const verdict = await inspectRecord(new Uint8Array(await res.arrayBuffer()), { name })
    return verdict.valid ? verdict.sequence.toString() : undefined
  }
  // Two more starts of the page: each runs a keep-alive round, which re-sends the stored record.
  for (let start = 1; start <= 2; start++) {
    await page.reload()
    await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
    await page.waitForFunction(() => globalThis.cairn!.names.keepAlive.get().rounds >= 1, undefined, { timeout: 60_000, polling: 200 })
    expect(await page.evaluate(() => globalThis.cairn!.names.keepAlive.get())).toMatchObject({ resent: 1, resigned: 0, failed: 0 })
    const held = await page.evaluate(async (k51) => {
      const names = globalThis.cairn!.names
      return await names.inspect(await names.exportRecord(k51), k51)
    }, name)
    expect(held).toMatchObject({ valid: true, sequence: '0', value: `/ipfs/${cid}` })
    expect(await routerSequence()).toBe('0')
  }
})
