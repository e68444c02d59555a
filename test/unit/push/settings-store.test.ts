/**
 * The settings store (IndexedDB, here fake-indexeddb) keeps the local network's pinning service
 * current: a restarted local network (same peer ID, new token and port) updates its entry and
 * leaves the user's own services alone; settings saved before pinning services existed get it.
 */
import 'fake-indexeddb/auto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'
import { LOCAL_PINNING_SERVICE_NAME } from '../../../src/core/settings.js'
import { openSettingsStore } from '../../../src/platform/settings-store.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import type { StoredSettings } from '../../../src/platform/settings-store.js'

const mine = { name: 'my service', endpoint: 'https://pin.example/api', token: 'secret' }

describe('the settings store and the local pinning service', () => {
  it('derives it on a first visit, refreshes its token on a restart, and keeps the user\'s services', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const first = await startLocalNetwork({ privateKey, pinningToken: 'token-1' })
    let saved: StoredSettings
    try {
      const store = await openSettingsStore(new URL(`${first.httpUrl}/cairn-local.json`))
      const loaded = await store.load()
      expect(loaded.profile).toBe('local')
      expect(loaded.profiles.local.pinningServices).toEqual([{ name: LOCAL_PINNING_SERVICE_NAME, endpoint: first.pinningService.endpoint, token: 'token-1' }])
      expect(loaded.profiles.public.pinningServices).toEqual([])
      loaded.profiles.local.pinningServices.push(mine)
      await store.save(loaded)
      saved = structuredClone(loaded)
      store.close()
    } finally {
      await first.stop()
    }

    const second = await startLocalNetwork({ privateKey, pinningToken: 'token-2' })
    try {
      const store = await openSettingsStore(new URL(`${second.httpUrl}/cairn-local.json`))
      const loaded = await store.load()
      expect(loaded.localPeerId).toBe(second.peerId.toString())
      expect(loaded.profiles.local.pinningServices).toEqual([
        { name: LOCAL_PINNING_SERVICE_NAME, endpoint: second.pinningService.endpoint, token: 'token-2' },
        mine
      ])

      // settings saved by a version without pinning services
      const older = structuredClone(saved) as unknown as { profiles: Record<string, Record<string, unknown>> }
      delete older.profiles.local?.pinningServices
      delete older.profiles.public?.pinningServices
      await store.save(older as unknown as StoredSettings)
      const upgraded = await store.load()
      expect(upgraded.profiles.local.pinningServices).toEqual([{ name: LOCAL_PINNING_SERVICE_NAME, endpoint: second.pinningService.endpoint, token: 'token-2' }])
      expect(upgraded.profiles.public.pinningServices).toEqual([])

      // a user who removed it keeps it removed
      upgraded.profiles.local.pinningServices = [mine]
      await store.save(upgraded)
      expect((await store.load()).profiles.local.pinningServices).toEqual([mine])
      store.close()
    } finally {
      await second.stop()
    }
  })
})
