/**
 * Pinning-service tokens in the settings store (fake-indexeddb, real WebCrypto): sealed under the
 * device key on save, plain-text records from older versions rewritten sealed on first load with
 * no token lost, and ciphertexts this device cannot open kept rather than dropped.
 */
import 'fake-indexeddb/auto'
import { openDB } from 'idb'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PUBLIC_SETTINGS } from '../../../src/core/settings.js'
import { openSettingsStore } from '../../../src/platform/settings-store.js'
import type { SettingsStore, StoredSettings } from '../../../src/platform/settings-store.js'

const NO_LOCAL_NETWORK = new URL('http://127.0.0.1:9/cairn-local.json')
const TOKEN = 'tok-' + 'x'.repeat(40)
const service = { name: 'my service', endpoint: 'https://pin.example/api', token: TOKEN }

async function raw (): Promise<Record<string, unknown> | undefined> {
  const db = await openDB('cairn/settings/v1', 1)
  try { return await db.get('settings', 'current') as Record<string, unknown> | undefined } finally { db.close() }
}
async function putRaw (value: unknown): Promise<void> {
  const db = await openDB('cairn/settings/v1', 1, { upgrade (d) { d.createObjectStore('settings') } })
  try { await db.put('settings', value, 'current') } finally { db.close() }
}
function containsText (value: unknown, text: string): boolean {
  return JSON.stringify(value, (_k, v: unknown) => v instanceof Uint8Array ? new TextDecoder().decode(v) : v).includes(text)
}
function settingsWith (services: StoredSettings['profiles']['public']['pinningServices']): StoredSettings {
  return { profile: 'public', profiles: { public: { ...structuredClone(PUBLIC_SETTINGS), pinningServices: services }, local: structuredClone(PUBLIC_SETTINGS) } }
}
async function deleteDb (name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => { const r = indexedDB.deleteDatabase(name); r.onsuccess = () => { resolve() }; r.onerror = () => { reject(r.error) } })
}

// Closed after each test, so a failed one cannot block the next one's deleteDatabase.
const opened: SettingsStore[] = []
async function open (): Promise<SettingsStore> {
  const store = await openSettingsStore(NO_LOCAL_NETWORK)
  opened.push(store)
  return store
}
afterEach(() => { for (const s of opened.splice(0)) s.close() })

beforeEach(async () => {
  await deleteDb('cairn/settings/v1')
  await deleteDb('cairn/device-key/v1')
})

describe('pinning-service tokens at rest', () => {
  it('are stored sealed, never in plain text, and read back as they were', async () => {
    const store = await open()
    await store.save(settingsWith([service]))
    const record = await raw()
    expect(containsText(record, TOKEN)).toBe(false)
    const stored = (record as unknown as StoredSettings).profiles.public.pinningServices[0] as unknown as Record<string, unknown>
    expect(stored).not.toHaveProperty('token')
    expect(stored.sealedToken).toMatchObject({ iv: expect.any(Uint8Array), data: expect.any(Uint8Array) })
    expect((await store.load()).profiles.public.pinningServices).toEqual([service])
    store.close()
    const again = await open()
    expect((await again.load()).profiles.public.pinningServices).toEqual([service])
    again.close()
  })

  it('migrates a plain-text record on first load: rewritten sealed, the token kept', async () => {
    await putRaw(settingsWith([service, { name: 'two', endpoint: 'https://two.example', token: 'second-token' }]))
    const store = await open()
    const loaded = await store.load()
    expect(loaded.profiles.public.pinningServices.map(s => s.token)).toEqual([TOKEN, 'second-token'])
    const record = await raw()
    expect(containsText(record, TOKEN)).toBe(false)
    expect(containsText(record, 'second-token')).toBe(false)
    store.close()
    const again = await open()
    expect((await again.load()).profiles.public.pinningServices.map(s => s.token)).toEqual([TOKEN, 'second-token'])
    again.close()
  })

  it('binds a token to its endpoint, and keeps a ciphertext it cannot open instead of dropping it', async () => {
    const store = await open()
    await store.save(settingsWith([service]))
    // The same ciphertext under another endpoint does not decrypt: the token never goes elsewhere.
    const record = await raw() as unknown as StoredSettings
    const moved = structuredClone(record)
    moved.profiles.public.pinningServices[0]!.endpoint = 'https://evil.example'
    await putRaw(moved)
    const loaded = await store.load()
    expect(loaded.profiles.public.pinningServices).toEqual([{ name: service.name, endpoint: 'https://evil.example', token: '' }])
    // Saved again (as the app does on start), the unreadable ciphertext is still there.
    await store.save(loaded)
    expect(await raw()).toEqual(moved)
    store.close()
  })
})
