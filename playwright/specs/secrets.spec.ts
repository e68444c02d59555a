/**
 * Pinning-service tokens at rest, in Chromium's real IndexedDB: a saved token is stored only as
 * ciphertext under the device key and reads back after a reload; a plain-text record left by an
 * older version is rewritten sealed on the next load, with its token kept.
 */
import { expect, openApp, test } from '../fixtures.js'
import type { Page } from '@playwright/test'

const TOKEN = 'e2e-secret-token-' + 'k'.repeat(24)

/** The settings record exactly as stored, with byte arrays decoded as text (so a token would show). */
async function rawRecord (page: Page): Promise<string> {
  return await page.evaluate(async () => await new Promise<string>((resolve, reject) => {
    const open = indexedDB.open('cairn/settings/v1')
    open.onerror = () => { reject(open.error) }
    open.onsuccess = () => {
      const db = open.result
      const get = db.transaction('settings').objectStore('settings').get('current')
      get.onerror = () => { db.close(); reject(get.error) }
      get.onsuccess = () => {
        db.close()
        resolve(JSON.stringify(get.result, (_k, v: unknown) => v instanceof Uint8Array ? { bytes: new TextDecoder().decode(v) } : v))
      }
    }
  }))
}

async function writeRecord (page: Page, record: unknown): Promise<void> {
  await page.evaluate(async (value) => { await new Promise<void>((resolve, reject) => {
    const open = indexedDB.open('cairn/settings/v1')
    open.onerror = () => { reject(open.error) }
    open.onsuccess = () => {
      const db = open.result
      const tx = db.transaction('settings', 'readwrite')
      tx.objectStore('settings').put(value, 'current')
      tx.oncomplete = () => { db.close(); resolve() }
      tx.onerror = () => { db.close(); reject(tx.error) }
    }
  }) }, record)
}

function serviceRow (page: Page, name: string) {
  return page.getByTestId('pinning-services').locator('li', { hasText: name })
}

test('a saved pinning token is stored sealed, survives a reload, and an old plain-text record is migrated', async ({ guarded }) => {
  const page = await openApp(guarded.context, 'settings')
  const form = page.getByTestId('pinning-services')
  await form.locator('input[name="pinningServiceName"]').fill('e2e service')
  await form.locator('input[name="pinningServiceEndpoint"]').fill('http://127.0.0.1:9/api')
  await form.locator('input[name="pinningServiceToken"]').fill(TOKEN)
  await form.getByRole('button', { name: 'Add pinning service' }).click()
  await page.getByRole('button', { name: 'Save and restart node' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible()

  const sealed = await rawRecord(page)
  expect(sealed).toContain('"name":"e2e service"')
  expect(sealed).toContain('sealedToken')
  expect(sealed).not.toContain(TOKEN)
  // The local network's own token (from cairn-local.json) is sealed too.
  const localToken = process.env.CAIRN_PINNING_TOKEN!
  expect(sealed).not.toContain(localToken)

  await page.reload()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
  await expect(serviceRow(page, 'e2e service')).toContainText('token set')
  await expect(serviceRow(page, 'local network')).toContainText('token set')

  // A record as an older version wrote it: tokens in plain text.
  const legacy = JSON.parse(sealed.replace(/"sealedToken":\{"iv":\{"bytes":"(?:[^"\\]|\\.)*"\},"data":\{"bytes":"(?:[^"\\]|\\.)*"\}\}/g, '"token":"PLACEHOLDER"')) as { profiles: Record<string, { pinningServices: Array<{ name: string, token?: string }> }> }
  for (const p of Object.values(legacy.profiles)) {
    for (const s of p.pinningServices) s.token = s.name === 'e2e service' ? TOKEN : localToken
  }
  expect(JSON.stringify(legacy)).toContain(TOKEN)
  await writeRecord(page, legacy)
  await page.reload()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
  await expect(serviceRow(page, 'e2e service')).toContainText('token set')
  const migrated = await rawRecord(page)
  expect(migrated).not.toContain(TOKEN)
  expect(migrated).not.toContain(localToken)
  expect(migrated).toContain('sealedToken')
})
