import { readFile } from 'node:fs/promises'
import { expect, newGuardedContext, openApp, test } from '../fixtures.js'

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
    await expect(pageA.locator('[data-testid="publish-result"] li[data-ok="true"]')).toHaveCount(1)

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
