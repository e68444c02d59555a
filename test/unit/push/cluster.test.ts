/**
 * ClusterKeeper against the local network's IPFS Cluster subset: a real 9 MiB UnixFS file (two
 * CAR parts: the first with no-pin) and a folder pushed from a real blockstore and read back by a
 * fresh Helia peer over bitswap; status absent → pinned; a tampered block refused with nothing
 * pinned; no IPNS records; refused credentials; a server that is not there; the peer_map summary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPinned } from '../../../src/ipfs/pins/index.js'
import { ClusterKeeper, clusterState } from '../../../src/ipfs/push/cluster.js'
import { KeeperAuthError, KeeperError, KeeperUnreachableError, KeeperUnsupportedError } from '../../../src/ipfs/push/errors.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { fetchFileOverBitswap, fetchFolderOverBitswap, freePort, makeSource, someBlockUnder, tampered } from './keeper-fixtures.js'
import type { KeeperEvents } from '../../../src/ipfs/push/keeper.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { Source } from './keeper-fixtures.js'

let net: LocalNetwork
let source: Source
let cluster: ClusterKeeper
/** Every request the keeper sent: method and URL. */
const sent: string[] = []

beforeAll(async () => {
  net = await startLocalNetwork()
  source = await makeSource('cluster-keeper')
  const info = net.info.cluster
  if (info === undefined) throw new Error('cairn-local.json has no cluster')
  const spy: typeof fetch = async (input, init) => {
    sent.push(`${init?.method ?? 'GET'} ${String(input)}`)
    return await fetch(input, init)
  }
  cluster = new ClusterKeeper({ name: 'office', endpoint: info.endpoint, token: info.token, fetch: spy })
})

afterAll(async () => {
  await net?.stop()
})

describe('ClusterKeeper against the local network', () => {
  it('is published in cairn-local.json under /cluster with the pinning token', () => {
    expect(net.info.cluster).toEqual({ endpoint: `${net.httpUrl}/cluster`, token: net.pinningService.token })
    expect(cluster).toMatchObject({ id: 'cluster:office', kind: 'cluster', holdsRecords: false })
  })

  it('pushes a 9 MiB file as CAR parts (no-pin but the last); status goes absent → pinned; a fresh peer reads it back', async () => {
    const root = source.file.root
    expect(await cluster.status(root)).toMatchObject({ state: 'absent', detail: 'not pinned on any of 1 cluster peer' })
    sent.length = 0
    const events: KeeperEvents[] = []
    const status = await cluster.pushDag(root, { blocks: source.blockstore, name: 'big file', signal: AbortSignal.timeout(60_000), onProgress: e => events.push(e) })
    expect(status).toEqual({ state: 'pinned', detail: 'pinned on 1 of 1 cluster peer' })
    const adds = sent.filter(s => s.startsWith(`POST ${net.httpUrl}/cluster/add?`))
    expect(adds.length).toBeGreaterThanOrEqual(2)
    for (const add of adds.slice(0, -1)) expect(add).toMatch(/format=car&local=true.*no-pin=true/)
    expect(adds.at(-1)).not.toContain('no-pin')
    expect(events.filter(e => e.type === 'push:keeper:upload')).toHaveLength(adds.length)
    expect(await isPinned(net.helia, root)).toBe(true)
    const back = await fetchFileOverBitswap(net, root)
    expect(Buffer.compare(back, source.file.bytes)).toBe(0)
  })

  it('does not upload a DAG the cluster already pins', async () => {
    sent.length = 0
    expect((await cluster.pushDag(source.file.root, { blocks: source.blockstore })).state).toBe('pinned')
    expect(sent).toEqual([`GET ${net.httpUrl}/cluster/pins/${source.file.root.toString()}`])
  })

  it('pushes a folder; a fresh peer reads every file back', async () => {
    expect((await cluster.pushDag(source.folder.root, { blocks: source.blockstore })).state).toBe('pinned')
    const back = await fetchFolderOverBitswap(net, source.folder.root, 'folder')
    expect([...back.keys()].sort()).toEqual([...source.folder.files.keys()].sort())
    for (const [path, bytes] of source.folder.files) expect(Buffer.compare(back.get(path) ?? new Uint8Array(), bytes)).toBe(0)
  })

  it('refuses a DAG with a tampered block, with a clear error, and pins nothing', async () => {
    const dag = await makeSource('cluster-tampered', 100_000)
    const victim = await someBlockUnder(dag.blockstore, dag.folder.root)
    const err = await cluster.pushDag(dag.folder.root, { blocks: tampered(dag.blockstore, victim) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperError)
    expect((err as Error).message).toMatch(/IPFS Cluster "office" could not add part 1 .*HTTP 400: the CAR was refused, and nothing was pinned: Block \S+ .*corrupt/)
    expect((err as Error).message).toContain(victim.toString())
    expect(await cluster.status(dag.folder.root)).toMatchObject({ state: 'absent' })
    expect(await isPinned(net.helia, dag.folder.root)).toBe(false)
  })

  it('does not hold IPNS records: says to use Kubo or a peer', async () => {
    const err = await cluster.pushRecord('k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8', new Uint8Array(10)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperUnsupportedError)
    expect((err as Error).message).toMatch(/a cluster does not hold IPNS records\. Keep names on a Kubo node or a peer instead/)
  })

  it('says the credentials were refused', async () => {
    const wrong = new ClusterKeeper({ name: 'office', endpoint: `${net.httpUrl}/cluster`, token: 'admin:wrong' })
    const err = await wrong.pushDag(source.folder.root, { blocks: source.blockstore }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperAuthError)
    expect((err as Error).message).toMatch(/IPFS Cluster "office" refused the credentials \(HTTP 401: Unauthorized.*Check the token in Settings/)
    await expect(new ClusterKeeper({ name: 'office', endpoint: `${net.httpUrl}/cluster` }).status(source.file.root)).rejects.toThrow(/\(none is set\)/)
  })

  it('says when the server cannot be reached', async () => {
    const port = await freePort()
    const gone = new ClusterKeeper({ name: 'gone', endpoint: `http://127.0.0.1:${port}`, token: 't' })
    const err = await gone.status(source.file.root).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperUnreachableError)
    expect((err as Error).message).toMatch(/Could not reach IPFS Cluster "gone" at http:\/\/127\.0\.0\.1:\d+ /)
  })
})

describe('clusterState', () => {
  it('sums peer_map: any pinned wins, then pinning, queued, failed; else absent', () => {
    expect(clusterState({ a: { status: 'pin_error', error: 'boom' }, b: { status: 'pinned' }, c: { status: 'unpinned' } })).toEqual({ state: 'pinned', detail: 'pinned on 1 of 3 cluster peers' })
    expect(clusterState({ a: { status: 'pinning' }, b: { status: 'pin_queued' } }).state).toBe('pinning')
    expect(clusterState({ a: { status: 'pin_queued' }, b: { status: 'remote' } }).state).toBe('queued')
    expect(clusterState({ a: { status: 'pin_error', error: 'context deadline exceeded' } })).toEqual({ state: 'failed', detail: 'failed on 1 of 1 cluster peer: context deadline exceeded' })
    expect(clusterState({ a: { status: 'unpinned' }, b: { status: 'remote' } })).toEqual({ state: 'absent', detail: 'not pinned on any of 2 cluster peers' })
    expect(clusterState({})).toEqual({ state: 'absent', detail: 'no cluster peer answered' })
  })
})
