/**
 * The Names service hands every record it signs to the keepers (the injected `handRecord`), keeps
 * it for the service worker, and signs with the chosen lifetime; against a real local network.
 */
import 'fake-indexeddb/auto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNamesService } from '../../../src/app/names-service.js'
import { getIPNSRecord } from '../../../src/ipfs/ipns/delegated.js'
import { validateRecord } from '../../../src/ipfs/ipns/inspect.js'
import { nameFromPublicKey, parseName } from '../../../src/ipfs/ipns/names.js'
import { publish } from '../../../src/ipfs/ipns/publish.js'
import { createRecord } from '../../../src/ipfs/ipns/records.js'
import { EMPTY_SETTINGS } from '../../../src/core/settings.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { openKeepAliveStore } from '../../../src/platform/keepalive-store.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'

const CID_A = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
const DAY = 86_400_000

let net: LocalNetwork
beforeAll(async () => { net = await startLocalNetwork() })
afterAll(async () => { await net?.stop() })

describe('publishing from the Names service', () => {
  it('hands the signed record to each keeper, shows each answer, and keeps the record for the background worker', async () => {
    const handed: Array<{ name: string, record: Uint8Array }> = []
    const names = createNamesService(() => ({ ...EMPTY_SETTINGS, delegatedRouters: [net.routingUrl] }), () => undefined, {
      handRecord: async (name, record) => {
        handed.push({ name, record })
        return [{ keeper: 'kubo at home', ok: true }, { keeper: 'office kubo', ok: false, error: 'connection refused' }]
      },
      httpKeepers: () => [{ name: 'kubo at home', kind: 'kubo', endpoint: 'http://127.0.0.1:5001', token: 'a:b' }],
      registration: async () => undefined
    })
    await names.create('site')
    const before = Date.now()
    const out = await names.publish('site', `/ipfs/${CID_A}`, { lifetime: '720h', ttl: '2s' })
    expect(out.keepers).toEqual([{ keeper: 'kubo at home', ok: true }, { keeper: 'office kubo', ok: false, error: 'connection refused' }])
    expect(out.ttlMs).toBe(2000)
    // 30 days of validity, as chosen.
    expect(out.expiresAt - before).toBeGreaterThanOrEqual(30 * DAY - 1000)
    expect(out.expiresAt - Date.now()).toBeLessThanOrEqual(30 * DAY)

    // The keepers got exactly the record the router holds.
    expect(handed).toHaveLength(1)
    expect(handed[0]!.name).toBe(out.name)
    const atRouter = await getIPNSRecord(net.routingUrl, parseName(out.name))
    expect(atRouter).toEqual(handed[0]!.record)
    expect((await validateRecord(atRouter!, { name: out.name })).value).toBe(`/ipfs/${CID_A}`)

    // The background worker finds it, and the targets, with the keeper's token sealed.
    const store = await openKeepAliveStore()
    const kept = await store.records()
    expect(kept.map(r => [r.name, r.sequence])).toEqual([[out.name, '0']])
    expect(kept[0]!.record).toEqual(handed[0]!.record)
    const targets = await store.targets()
    expect(targets?.routers).toEqual([net.routingUrl])
    expect(targets?.keepers.map(k => k.name)).toEqual(['kubo at home'])
    expect(JSON.stringify(targets)).not.toContain('a:b')
    store.close()

    // Without a service worker, the page says background keep-alive is off, and why.
    await names.checkBackground()
    const shown = names.background.get().state
    expect(shown?.active).toBe(false)
    expect(shown !== undefined && !shown.active ? shown.reason : '').toBe('no-service-worker')
    expect(names.background.get().validRecords).toBe(1)

    // A record another service signs with this device's keys (as backups do, through stores())
    // is kept for the worker too; a record of a name only followed here is not.
    const { keys, state } = await names.stores()
    const repoKey = await keys.generate('backup-repo')
    await publish({ keys, state, routers: [net.routingUrl] }, 'backup-repo', `/ipfs/${CID_A}`, { lifetimeMs: DAY })
    const stranger = await generateKeyPair('Ed25519')
    const foreign = await createRecord(stranger, `/ipfs/${CID_A}`, { sequence: 4n, lifetimeMs: DAY, ttlMs: 1000 })
    await state.observe(nameFromPublicKey(stranger.publicKey), 4n, foreign)
    const withRepo = await openKeepAliveStore()
    expect((await withRepo.records()).map(r => r.name).sort()).toEqual([out.name, repoKey.name.k51].sort())
    withRepo.close()
    await names.remove('backup-repo')

    // Deleting the key stops the background worker from keeping its name alive.
    await names.remove('site')
    const after = await openKeepAliveStore()
    expect(await after.records()).toEqual([])
    after.close()
  })
})
