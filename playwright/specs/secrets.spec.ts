/**
 * Keeper secrets at rest, in Chromium's real IndexedDB: a saved token or S3 secret is stored only
 * as ciphertext under the device key and reads back after a reload; a plain-text record of pinning
 * services left by an older version is rewritten as sealed keepers on the next load, tokens kept.
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
  return page.getByTestId('keepers').locator('li[data-keeper]', { hasText: name })
}

const S3_SECRET = 'e2e-s3-secret-' + 'q'.repeat(24)

test('saved keeper secrets are stored sealed, survive a reload, and an old plain-text record of pinning services is migrated', async ({ guarded }) => {
  const page = await openApp(guarded.context, 'settings')
  const form = page.getByTestId('keeper-form')
  await form.locator('select[name="keeperKind"]').selectOption('psa')
  await form.locator('input[name="keeperName"]').fill('e2e service')
  await form.locator('input[name="keeperEndpoint"]').fill('http://127.0.0.1:9/api')
  await expect(form.locator('input[name="keeperToken"]')).toHaveAttribute('type', 'password')
  await form.locator('input[name="keeperToken"]').fill(TOKEN)
  await form.getByRole('button', { name: 'Add keeper' }).click()
  // An S3 bucket: only its fields, the secret in a password field.
  await form.locator('select[name="keeperKind"]').selectOption('s3')
  await expect(form.locator('input[name="keeperToken"]')).toHaveCount(0)
  await form.locator('input[name="keeperName"]').fill('e2e bucket')
  await form.locator('input[name="keeperEndpoint"]').fill('http://127.0.0.1:9')
  await form.locator('input[name="keeperBucket"]').fill('e2e-bucket')
  await form.locator('input[name="keeperAccessKeyId"]').fill('E2EKEYID')
  await expect(form.locator('input[name="keeperSecret"]')).toHaveAttribute('type', 'password')
  await form.getByRole('button', { name: 'Add keeper' }).click()
  // Without its secret, the form says what is missing and adds nothing.
  await expect(form.getByTestId('keeper-problems')).toContainText('has no secret access key')
  await expect(serviceRow(page, 'e2e bucket')).toHaveCount(0)
  await form.locator('input[name="keeperSecret"]').fill(S3_SECRET)
  await form.getByRole('button', { name: 'Add keeper' }).click()
  await expect(serviceRow(page, 'e2e bucket')).toContainText('secret key set')
  await page.getByRole('button', { name: 'Save and restart node' }).click()
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible()

  const sealed = await rawRecord(page)
  expect(sealed).toContain('"name":"e2e service"')
  expect(sealed).toContain('"accessKeyId":"E2EKEYID"')
  expect(sealed).toContain('sealedToken')
  expect(sealed).not.toContain(TOKEN)
  expect(sealed).not.toContain(S3_SECRET)
  // The local network's own token (from cairn-local.json) is sealed too.
  const localToken = process.env.CAIRN_PINNING_TOKEN!
  expect(sealed).not.toContain(localToken)

  await page.reload()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
  await expect(serviceRow(page, 'e2e service')).toContainText('token set')
  await expect(serviceRow(page, 'e2e bucket')).toContainText('secret key set')
  await expect(serviceRow(page, 'local network')).toContainText('token set')

  // A record as an older version wrote it: pinning services, tokens in plain text.
  const legacy = JSON.parse(sealed.replace(/"sealedToken":\{"iv":\{"bytes":"(?:[^"\\]|\\.)*"\},"data":\{"bytes":"(?:[^"\\]|\\.)*"\}\}/g, '"token":"PLACEHOLDER"')) as { profiles: Record<string, { keepers?: Array<{ kind: string, name: string, endpoint: string, token?: string }>, pinningServices?: unknown[] }> }
  for (const p of Object.values(legacy.profiles)) {
    p.pinningServices = (p.keepers ?? []).filter(k => k.kind === 'psa').map(k => ({ name: k.name, endpoint: k.endpoint, token: k.name === 'e2e service' ? TOKEN : localToken }))
    delete p.keepers
  }
  expect(JSON.stringify(legacy)).toContain(TOKEN)
  await writeRecord(page, legacy)
  await page.reload()
  await expect(page.getByTestId('node-status')).toHaveText(/^online/, { timeout: 30_000 })
  await expect(serviceRow(page, 'e2e service')).toContainText('token set')
  await expect(page.locator('[data-testid="keepers"] li[data-keeper="psa:e2e service"]')).toHaveCount(1)
  const migrated = await rawRecord(page)
  expect(migrated).not.toContain('pinningServices')
  expect(migrated).not.toContain(TOKEN)
  expect(migrated).not.toContain(localToken)
  expect(migrated).toContain('sealedToken')
})
