/**
 * The keepers service against the local network's real keepers (Kubo RPC, Cluster, pinning
 * service) and one that is not there, with the answers stored in IndexedDB (fake-indexeddb):
 * a push reports every keeper's status and keeps going when one fails, a retry pushes only the
 * failed one, Check stores each keeper's answer and a new service shows them before asking, a
 * keeper removed from Settings is no longer shown, and a signed record goes to the keepers that
 * hold records (Kubo) only.
 */
import 'fake-indexeddb/auto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createIPNSRecord, marshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { base36 } from 'multiformats/bases/base36'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeepersService } from '../../../src/app/keepers-service.js'
import { localKeepers } from '../../../src/core/settings.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { freePort, makeSource } from '../push/keeper-fixtures.js'
import type { NodeService } from '../../../src/app/node-service.js'
import type { TargetStatus } from '../../../src/app/keepers-service.js'
import type { KeeperSettings } from '../../../src/core/settings.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { Source } from '../push/keeper-fixtures.js'
import type { MultihashDigest } from 'multiformats/hashes/interface'

let net: LocalNetwork
let source: Source
let keepers: KeeperSettings[]

/** A node with the DAG's blocks and no peers (peers that pin are covered by the e2e tests). */
function fakeNode (): NodeService {
  const libp2p = { getPeers: () => [], getMultiaddrs: () => [], peerStore: { get: async () => { throw new Error('no peer') } }, dial: async () => { throw new Error('no dial') } }
  return { node: () => ({ libp2p, blockstore: source.blockstore }) } as unknown as NodeService
}

beforeAll(async () => {
  [net, source] = await Promise.all([startLocalNetwork(), makeSource('keepers-service', 150_000)])
  const gone = `http://127.0.0.1:${await freePort()}`
  keepers = [...localKeepers(net.info), { kind: 'cluster', name: 'gone', endpoint: gone, token: 't' }]
})
afterAll(async () => { await net?.stop() })

describe('the keepers service', () => {
  it('pushes to every chosen keeper at once, reports each, retries the failed one, and remembers what each said', async () => {
    let current = keepers
    const service = createKeepersService(fakeNode(), () => ({ keepers: current }))
    const rows = await service.list()
    expect(rows.map(r => [r.id, r.name])).toEqual([['psa:local network', 'local network'], ['kubo:local Kubo', 'local Kubo'], ['cluster:local Cluster', 'local Cluster'], ['cluster:gone', 'gone']])
    expect(rows.filter(r => r.holdsRecords).map(r => r.id)).toEqual(['kubo:local Kubo'])

    const cid = source.folder.root.toString()
    const before = await service.check(cid)
    expect(Object.fromEntries(before.map(a => [a.keeperId, a.state]))).toEqual({ 'psa:local network': 'absent', 'kubo:local Kubo': 'absent', 'cluster:local Cluster': 'absent', 'cluster:gone': 'error' })
    expect(before.find(a => a.keeperId === 'cluster:gone')?.detail).toMatch(/Could not reach/)

    // The pinning service pulls (its default): it finds the blocks once Kubo or Cluster, pushed at
    // the same time, has uploaded them into the network's blockstore.
    const seen: TargetStatus[][] = []
    const result = await service.push(cid, rows.map(r => r.id), { name: 'service test', onProgress: (e) => { if (e.type === 'keepers:push:status') seen.push(e.detail) } })
    expect(seen[0]?.map(s => s.state)).toEqual(['waiting', 'waiting', 'waiting', 'waiting'])
    expect(result.map(s => [s.keeper.id, s.state])).toEqual([['psa:local network', 'done'], ['kubo:local Kubo', 'done'], ['cluster:local Cluster', 'done'], ['cluster:gone', 'failed']])
    expect(result[3]?.message).toMatch(/Could not reach IPFS Cluster "gone"/)
    expect(result.slice(0, 3).map(s => s.kept?.state)).toEqual(['pinned', 'pinned', 'pinned'])

    // A retry pushes only what it is given.
    const retried = await service.push(cid, ['cluster:gone'])
    expect(retried.map(s => [s.keeper.id, s.state])).toEqual([['cluster:gone', 'failed']])

    const after = await service.check(cid)
    expect(Object.fromEntries(after.map(a => [a.keeperId, a.state]))).toMatchObject({ 'psa:local network': 'pinned', 'kubo:local Kubo': 'pinned', 'cluster:local Cluster': 'pinned', 'cluster:gone': 'error' })

    // Remembered: a new service (a reloaded page) shows the answers before asking anyone.
    const reloaded = createKeepersService(fakeNode(), () => ({ keepers: current }))
    const stored = await reloaded.kept(cid)
    expect(stored.find(a => a.keeperId === 'kubo:local Kubo')?.state).toBe('pinned')
    expect(reloaded.answers.get().get(cid)?.length).toBe(4)
    // A keeper removed from Settings is no longer shown.
    current = keepers.filter(k => k.name !== 'gone')
    expect((await reloaded.kept(cid)).map(a => a.keeperId).sort()).toEqual(['cluster:local Cluster', 'kubo:local Kubo', 'psa:local network'])
  }, 120_000)

  it('refuses a push of something that is not a CID, and of a keeper that is not there, before contacting anyone', async () => {
    const service = createKeepersService(fakeNode(), () => ({ keepers }))
    await expect(service.push('not-a-cid', ['kubo:local Kubo'])).rejects.toThrow(/is not a CID/)
    await expect(service.push(source.file.root.toString(), ['kubo:nobody'])).rejects.toThrow(/No keeper kubo:nobody any more/)
  })

  it('hands a signed record to the keepers that hold records, and says how each went', async () => {
    const service = createKeepersService(fakeNode(), () => ({ keepers }))
    expect((await service.recordKeepers()).map(k => k.id)).toEqual(['kubo:local Kubo'])
    const key = await generateKeyPair('Ed25519')
    const name = peerIdFromPrivateKey(key).toCID().toString(base36)
    const record = marshalIPNSRecord(await createIPNSRecord(key, source.folder.root, 1n, 60_000))
    const results = await service.pushRecordToKeepers(name, record)
    expect(results.map(r => [r.keeper.id, r.ok])).toEqual([['kubo:local Kubo', true]])
    const routingKey = multihashToIPNSRoutingKey(peerIdFromPrivateKey(key).toMultihash() as MultihashDigest<0x00>)
    expect(Buffer.compare(await net.router.find(routingKey) ?? new Uint8Array(), record)).toBe(0)
  })
})
