/**
 * Keeper secrets in the settings store (fake-indexeddb, real WebCrypto): sealed under the device
 * key on save, records from older versions (plain-text tokens, pinning services) rewritten as
 * sealed keepers on first load with no token lost, and ciphertexts this device cannot open kept
 * rather than dropped.
 */
import 'fake-indexeddb/auto'
import { openDB } from 'idb'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PUBLIC_SETTINGS } from '../../../src/core/settings.js'
import { openSettingsStore } from '../../../src/platform/settings-store.js'
import { seal } from '../../../src/platform/device-key.js'
import type { KeeperSettings } from '../../../src/core/settings.js'
import type { SettingsStore, StoredSettings } from '../../../src/platform/settings-store.js'

const NO_LOCAL_NETWORK = new URL('http://127.0.0.1:9/cairn-local.json')
const TOKEN = 'tok-' + 'x'.repeat(40)
const service: KeeperSettings = { kind: 'psa', name: 'my service', endpoint: 'https://pin.example/api', token: TOKEN }
const SECRET = 's3-secret-' + 'y'.repeat(30)
const bucket: KeeperSettings = { kind: 's3', name: 'bucket', endpoint: 'https://s3.example', token: SECRET, bucket: 'my-bucket', region: 'us-east-1', accessKeyId: 'AKID' }

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
function settingsWith (keepers: KeeperSettings[]): StoredSettings {
  return { profile: 'public', profiles: { public: { ...structuredClone(PUBLIC_SETTINGS), keepers }, local: structuredClone(PUBLIC_SETTINGS) } }
}
/** A record as versions before keepers wrote it: `pinningServices`, no `keepers`. */
function olderRecord (services: unknown[]): unknown {
  const profile = (): Record<string, unknown> => { const p: Record<string, unknown> = { ...structuredClone(PUBLIC_SETTINGS) }; delete p.keepers; return p }
  return { profile: 'public', profiles: { public: { ...profile(), pinningServices: services }, local: { ...profile(), pinningServices: [] } } }
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

describe('keeper secrets at rest', () => {
  it('are stored sealed for every kind, never in plain text, and read back as they were', async () => {
    const store = await open()
    const kubo: KeeperSettings = { kind: 'kubo', name: 'home', endpoint: 'http://127.0.0.1:5001', token: 'user:kubo-password' }
    const open_: KeeperSettings = { kind: 'cluster', name: 'no token', endpoint: 'http://127.0.0.1:9094', token: '' }
    await store.save(settingsWith([service, bucket, kubo, open_]))
    const record = await raw()
    for (const secret of [TOKEN, SECRET, 'kubo-password']) expect(containsText(record, secret)).toBe(false)
    const stored = (record as unknown as StoredSettings).profiles.public.keepers as unknown as Array<Record<string, unknown>>
    for (const k of stored.slice(0, 3)) {
      expect(k).not.toHaveProperty('token')
      expect(k.sealedToken).toMatchObject({ iv: expect.any(Uint8Array), data: expect.any(Uint8Array) })
    }
    expect(stored[1]).toMatchObject({ kind: 's3', bucket: 'my-bucket', region: 'us-east-1', accessKeyId: 'AKID' })
    expect(stored[3]).toEqual({ kind: 'cluster', name: 'no token', endpoint: 'http://127.0.0.1:9094' })
    expect((await store.load()).profiles.public.keepers).toEqual([service, bucket, kubo, open_])
    store.close()
    const again = await open()
    expect((await again.load()).profiles.public.keepers).toEqual([service, bucket, kubo, open_])
    again.close()
  })

  it('migrates pinning services (tokens sealed by older versions) into psa keepers, rewritten at once', async () => {
    const sealedToken = await seal('pinning-tokens', TOKEN, `pinning-token\n${service.endpoint}`)
    await putRaw(olderRecord([{ name: service.name, endpoint: service.endpoint, sealedToken }, { name: 'plain', endpoint: 'https://two.example', token: 'second-token' }]))
    const store = await open()
    const loaded = await store.load()
    expect(loaded.profiles.public.keepers).toEqual([service, { kind: 'psa', name: 'plain', endpoint: 'https://two.example', token: 'second-token' }])
    expect(loaded.profiles.public).not.toHaveProperty('pinningServices')
    const record = await raw() as unknown as { profiles: Record<string, Record<string, unknown>> }
    expect(record.profiles.public).not.toHaveProperty('pinningServices')
    expect(record.profiles.public?.keepers).toHaveLength(2)
    expect(containsText(record, TOKEN)).toBe(false)
    expect(containsText(record, 'second-token')).toBe(false)
    store.close()
    const again = await open()
    expect((await again.load()).profiles.public.keepers.map(k => k.token)).toEqual([TOKEN, 'second-token'])
    again.close()
  })

  it('migrates a plain-text record on first load: rewritten sealed, the token kept', async () => {
    await putRaw(settingsWith([service, { kind: 'psa', name: 'two', endpoint: 'https://two.example', token: 'second-token' }]))
    const store = await open()
    const loaded = await store.load()
    expect(loaded.profiles.public.keepers.map(s => s.token)).toEqual([TOKEN, 'second-token'])
    const record = await raw()
    expect(containsText(record, TOKEN)).toBe(false)
    expect(containsText(record, 'second-token')).toBe(false)
    store.close()
    const again = await open()
    expect((await again.load()).profiles.public.keepers.map(s => s.token)).toEqual([TOKEN, 'second-token'])
    again.close()
  })

  it('binds a secret to its kind and endpoint, and keeps a ciphertext it cannot open instead of dropping it', async () => {
    const store = await open()
    await store.save(settingsWith([service, bucket]))
    // The same ciphertext under another endpoint, or another kind, does not decrypt: the token never goes elsewhere.
    const record = await raw() as unknown as StoredSettings
    const moved = structuredClone(record)
    moved.profiles.public.keepers[0]!.endpoint = 'https://evil.example'
    moved.profiles.public.keepers[1]!.kind = 'kubo'
    await putRaw(moved)
    const loaded = await store.load()
    expect(loaded.profiles.public.keepers).toEqual([{ ...service, endpoint: 'https://evil.example', token: '' }, { ...bucket, kind: 'kubo', token: '' }])
    // Saved again (as the app does on start), the unreadable ciphertext is still there.
    await store.save(loaded)
    expect(await raw()).toEqual(moved)
    store.close()
  })
})
