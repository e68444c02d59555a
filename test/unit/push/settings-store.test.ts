/**
 * The settings store (IndexedDB, here fake-indexeddb) keeps the local network's keepers current:
 * a restarted local network (same peer ID, new token and port) updates their entries and leaves
 * the user's own keepers alone; settings saved before keepers get them (their pinning services
 * becoming psa keepers).
 */
import 'fake-indexeddb/auto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { describe, expect, it } from 'vitest'
import { localKeepers } from '../../../src/core/settings.js'
import { openSettingsStore } from '../../../src/platform/settings-store.js'
import { sealSettings } from '../../../src/platform/settings-secrets.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { openDB } from 'idb'
import type { KeeperSettings } from '../../../src/core/settings.js'
import type { StoredSettings } from '../../../src/platform/settings-store.js'

const mine: KeeperSettings = { kind: 'kubo', name: 'my kubo', endpoint: 'https://kubo.example', token: 'secret' }

describe('the settings store and the local network\'s keepers', () => {
  it('derives them on a first visit, refreshes their token on a restart, and keeps the user\'s keepers', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const first = await startLocalNetwork({ privateKey, pinningToken: 'token-1' })
    let saved: StoredSettings
    try {
      const store = await openSettingsStore(new URL(`${first.httpUrl}/cairn-local.json`))
      const loaded = await store.load()
      expect(loaded.profile).toBe('local')
      expect(loaded.profiles.local.keepers).toEqual(localKeepers(first.info))
      expect(loaded.profiles.local.keepers.map(k => [k.kind, k.token])).toEqual([['psa', 'token-1'], ['kubo', 'token-1'], ['cluster', 'token-1']])
      expect(loaded.profiles.public.keepers).toEqual([])
      loaded.profiles.local.keepers.push(mine)
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
      expect(loaded.profiles.local.keepers).toEqual([...localKeepers(second.info), mine])
      expect(loaded.profiles.local.keepers.slice(0, 3).map(k => k.token)).toEqual(['token-2', 'token-2', 'token-2'])

      // settings saved by a version before keepers, with its pinning services: each becomes a psa
      // keeper (the local one refreshed), and the local Kubo and Cluster are added
      const older = await sealSettings(saved)
      for (const p of ['public', 'local'] as const) delete (older.profiles[p] as { keepers?: unknown }).keepers
      ;(older.profiles.local as Record<string, unknown>).pinningServices = [{ name: 'local network', endpoint: 'http://127.0.0.1:1/old', token: 'token-1' }, { name: 'mine', endpoint: 'https://pin.example', token: 'p' }]
      const db = await openDB('cairn/settings/v1', 1)
      await db.put('settings', older, 'current')
      db.close()
      const upgraded = await store.load()
      expect(upgraded.profiles.local.keepers).toEqual([
        localKeepers(second.info)[0],
        { kind: 'psa', name: 'mine', endpoint: 'https://pin.example', token: 'p' },
        ...localKeepers(second.info).slice(1)
      ])
      expect(upgraded.profiles.public.keepers).toEqual([])

      // a user who removed them keeps them removed
      upgraded.profiles.local.keepers = [mine]
      await store.save(upgraded)
      expect((await store.load()).profiles.local.keepers).toEqual([mine])
      store.close()
    } finally {
      await second.stop()
    }
  })

  it('gives settings saved before pinning services every local keeper', async () => {
    const net = await startLocalNetwork({ pinningToken: 'token-3' })
    try {
      const store = await openSettingsStore(new URL(`${net.httpUrl}/cairn-local.json`))
      const first = await store.load()
      const older = await sealSettings(first)
      for (const p of ['public', 'local'] as const) delete (older.profiles[p] as { keepers?: unknown }).keepers
      const db = await openDB('cairn/settings/v1', 1)
      await db.put('settings', older, 'current')
      db.close()
      expect((await store.load()).profiles.local.keepers).toEqual(localKeepers(net.info))
      store.close()
    } finally {
      await net.stop()
    }
  })
})
