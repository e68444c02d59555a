import { BASE_URL, expect, isLoopbackUrl, newGuardedContext, openApp, test } from '../fixtures.js'

const RELAY = (): string => process.env.CAIRN_RELAY_PEER ?? ''

test('the node starts, connects to the local relay and holds a reservation', async ({ guarded }) => {
  // No ?profile=: a first visit finds ./cairn-local.json and picks the local profile by itself.
  const page = await openApp(guarded.context, 'node', undefined, { forceLocal: false })
  const relayRow = page.locator(`[data-testid="connections"] tr[data-peer="${RELAY()}"]`)
  await expect(relayRow).toHaveCount(1)
  await expect(relayRow).toHaveAttribute('data-transport', 'websockets')
  // A reservation on the relay gives a /p2p-circuit address, and /webrtc listens through it.
  await expect(page.getByTestId('addresses')).toContainText(`/p2p/${RELAY()}/p2p-circuit/webrtc/p2p/`)
  const peerId = await page.getByTestId('peer-id').textContent()
  expect(peerId).toMatch(/^12D3KooW/)
})

test('a reload keeps the peer ID and the blocks', async ({ guarded }) => {
  const page = await openApp(guarded.context)
  const before = await page.getByTestId('peer-id').textContent()
  const payload = `kept across reloads ${Date.now()}`
  const cid = await page.evaluate(async (text) => globalThis.cairn!.blocks.put(new TextEncoder().encode(text)), payload)
  expect(cid).toMatch(/^bafkrei/)

  await page.reload()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/)
  expect(await page.getByTestId('peer-id').textContent()).toBe(before)
  const back = await page.evaluate(async (c) => {
    const app = globalThis.cairn!
    if (!await app.blocks.has(c)) return null
    return new TextDecoder().decode(await app.blocks.get(c, { signal: AbortSignal.timeout(5000) }))
  }, cid)
  expect(back).toBe(payload)
})

test('two browsers connect over WebRTC through the relay and exchange a block, 10 times out of 10', async ({ browser }) => {
  test.setTimeout(300_000)
  const RUNS = 10
  for (let run = 1; run <= RUNS; run++) {
    const a = await newGuardedContext(browser)
    const b = await newGuardedContext(browser)
    try {
      const [pageA, pageB] = await Promise.all([openApp(a.context), openApp(b.context)])
      const peerB = (await pageB.getByTestId('peer-id').textContent()) ?? ''
      const webrtcAddr = pageB.locator('[data-testid="addresses"] code', { hasText: '/p2p-circuit/webrtc/p2p/' })
      await expect(webrtcAddr.first()).toBeVisible()
      const addr = (await webrtcAddr.first().textContent()) ?? ''

      // Dial through the UI, as a user would.
      await pageA.getByPlaceholder(/ip4/).fill(addr)
      await pageA.getByRole('button', { name: 'Dial' }).click()
      const webrtcRow = pageA.locator(`[data-testid="connections"] tr[data-peer="${peerB}"][data-transport="webrtc"]`)
      await expect(webrtcRow, `run ${run}: A is connected to B over WebRTC`).toHaveCount(1)
      await expect(pageA.getByRole('alert')).toHaveCount(0)

      // The relayed connection that carried the WebRTC signalling is closed once WebRTC is up, so
      // the block below can only travel peer to peer.
      await expect(pageA.locator(`[data-testid="connections"] tr[data-peer="${peerB}"]`), `run ${run}: A reaches B only over WebRTC`).toHaveCount(1)

      const text = `block from B, run ${run}, ${Math.random()}`
      const cid = await pageB.evaluate(async (t) => globalThis.cairn!.blocks.put(new TextEncoder().encode(t)), text)
      const got = await pageA.evaluate(async (c) => new TextDecoder().decode(await globalThis.cairn!.blocks.get(c, { signal: AbortSignal.timeout(20_000) })), cid)
      expect(got, `run ${run}: the block arrived intact`).toBe(text)
    } finally {
      await Promise.all([a.context.close(), b.context.close()])
    }
    expect([...a.violations, ...b.violations]).toEqual([])
  }
})

test('the network guard catches a request to a non-loopback host', async ({ browser }) => {
  expect(isLoopbackUrl('http://127.0.0.1:8080/x')).toBe(true)
  expect(isLoopbackUrl('ws://localhost:9/')).toBe(true)
  expect(isLoopbackUrl('https://example.com/')).toBe(false)
  const g = await newGuardedContext(browser)
  const page = await g.context.newPage()
  await page.goto(BASE_URL())
  const outcome = await page.evaluate(async () => {
    try { await fetch('https://example.com/probe', { signal: AbortSignal.timeout(5000) }); return 'fetched' } catch { return 'blocked' }
  })
  await g.context.close()
  expect(outcome).toBe('blocked')
  expect(g.violations).toEqual(['https://example.com/probe'])
})

test('settings are validated, saved in IndexedDB, and survive a reload', async ({ guarded }) => {
  const page = await openApp(guarded.context, 'settings')
  const gateways = page.locator('textarea[name="gateways"]')
  const before = await gateways.inputValue()
  await gateways.fill(`${before}\nnot a url`)
  await page.getByRole('button', { name: 'Save and restart node' }).click()
  await expect(page.getByRole('alert')).toContainText('"not a url" is not a URL')
  await gateways.fill(`${before}\nhttp://127.0.0.1:9/`)
  await page.getByRole('button', { name: 'Save and restart node' }).click()
  await expect(page.getByText('Saved.')).toBeVisible()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/)
  await page.reload()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/)
  await expect(gateways).toHaveValue(`${before}\nhttp://127.0.0.1:9/`)
})
