/**
 * The keeper factory: each Settings kind gives its class, with the `<kind>:<name>` id the app keys
 * answers by; entries it cannot use are refused with advice. The local network's keepers, made
 * from its cairn-local.json entries, hold a real folder DAG pushed from a real blockstore, and a
 * second local network's keepers (not pushed to) say it is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidInputError } from '../../../src/core/errors.js'
import { localKeepers } from '../../../src/core/settings.js'
import { ClusterKeeper } from '../../../src/ipfs/push/cluster.js'
import { createKeeper } from '../../../src/ipfs/push/keepers.js'
import { KuboRpcKeeper } from '../../../src/ipfs/push/kubo-rpc.js'
import { PsaKeeper } from '../../../src/ipfs/push/psa.js'
import { S3Keeper } from '../../../src/ipfs/push/s3.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { makeSource } from './keeper-fixtures.js'
import type { KeeperSettings } from '../../../src/core/settings.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { Source } from './keeper-fixtures.js'

describe('createKeeper', () => {
  it('gives each kind its class, with the id answers are keyed by', () => {
    const cases: Array<[KeeperSettings, new (...args: never[]) => unknown]> = [
      [{ kind: 'kubo', name: 'home', endpoint: 'http://127.0.0.1:5001', token: '' }, KuboRpcKeeper],
      [{ kind: 'cluster', name: 'home', endpoint: 'http://127.0.0.1:9094', token: 'u:p' }, ClusterKeeper],
      [{ kind: 'psa', name: 'svc', endpoint: 'https://pin.example/api', token: 't' }, PsaKeeper],
      [{ kind: 's3', name: 'bucket', endpoint: 'https://s3.example', token: 'secret', bucket: 'my-bucket', accessKeyId: 'AKID' }, S3Keeper]
    ]
    for (const [settings, cls] of cases) {
      const keeper = createKeeper(settings)
      expect(keeper).toBeInstanceOf(cls)
      expect(keeper.id).toBe(`${settings.kind}:${settings.name}`)
      expect(keeper.kind).toBe(settings.kind)
    }
    expect(createKeeper(cases[0]![0]).holdsRecords).toBe(true)
    expect(createKeeper(cases[1]![0]).holdsRecords).toBe(false)
  })

  it('refuses what it cannot use: an S3 entry without bucket or key ID, an unknown kind', () => {
    expect(() => createKeeper({ kind: 's3', name: 'b', endpoint: 'https://s3.example', token: 's', accessKeyId: 'AKID' })).toThrow(InvalidInputError)
    expect(() => createKeeper({ kind: 's3', name: 'b', endpoint: 'https://s3.example', token: 's', bucket: 'x-bucket' })).toThrow(/needs a bucket and an access key ID/)
    expect(() => createKeeper({ kind: 'ftp', name: 'f', endpoint: 'ftp://x', token: '' } as unknown as KeeperSettings)).toThrow(/unknown kind "ftp"/)
  })
})

describe('the local network\'s keepers, made by the factory', () => {
  let net: LocalNetwork
  let other: LocalNetwork
  let source: Source
  beforeAll(async () => {
    [net, other, source] = await Promise.all([startLocalNetwork(), startLocalNetwork(), makeSource('keepers-factory', 200_000)])
  })
  afterAll(async () => { await Promise.all([net?.stop(), other?.stop()]) })

  it('hold a folder pushed to each; the other network\'s keepers say absent', async () => {
    const root = source.folder.root
    // Nothing serves these blocks over bitswap here: the pinning service takes them as CARs.
    const mine = localKeepers(net.info).map(s => createKeeper(s, { carUpload: true }))
    const theirs = localKeepers(other.info).map(s => createKeeper(s, { carUpload: true }))
    expect(mine.map(k => k.kind)).toEqual(['psa', 'kubo', 'cluster'])
    for (const k of [...mine, ...theirs]) expect((await k.status(root)).state).toBe('absent')
    for (const k of mine) {
      const kept = await k.pushDag(root, { blocks: source.blockstore, name: 'factory test', signal: AbortSignal.timeout(60_000) })
      expect([k.id, kept.state]).toEqual([k.id, 'pinned'])
    }
    for (const k of mine) expect([k.id, (await k.status(root)).state]).toEqual([k.id, 'pinned'])
    for (const k of theirs) expect([k.id, (await k.status(root)).state]).toEqual([k.id, 'absent'])
  }, 120_000)
})
