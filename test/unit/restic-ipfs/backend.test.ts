/**
 * The IPFS restic backend against real Helia/libp2p peers on loopback (the local network peer as
 * relay + Routing V1 server): the Backend contract, reopening from a root CID on another peer over
 * bitswap and from the IPNS name, HAMT directories, the pin order, and the restic engine on top.
 */
import { createHash, randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { UnixFS } from 'ipfs-unixfs'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIpfsBackend, RepoNameUnresolvableError, RepoNotKeptError, RepoRootUnreachableError } from '../../../src/ipfs/restic-backend/index.js'
import { KeyStore, NameStateStore, nameFromPublicKey } from '../../../src/ipfs/ipns/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer, waitForCircuitAddress } from '../../../src/node/network/test-peer.js'
import {
  MemorySink, MemorySource, NotFoundError, Repository, RepositoryExistsError, backup, check, findSnapshot, listSnapshots, restore
} from '../../../src/restic/index.js'
import type { IpfsBackendIPNS } from '../../../src/ipfs/restic-backend/index.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'
import type { PrivateKey } from '@libp2p/interface'

const FAST = { N: 1024, r: 8, p: 1 }
const te = new TextEncoder()
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const id = (s: string): string => sha(te.encode(s))

let net: LocalNetwork
const peers: TestPeer[] = []

async function peer (listen: string[] = []): Promise<TestPeer> {
  const p = await createTestPeer({ listen })
  peers.push(p)
  await p.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
  return p
}

function ipnsFor (privateKey?: PrivateKey): IpfsBackendIPNS {
  return { routers: [net.routingUrl], state: new NameStateStore(new MemoryDatastore()), privateKey }
}

async function blockType (p: TestPeer, cid: CID): Promise<string> {
  const bytes = await p.blockstore.get(cid)
  const chunks: Uint8Array[] = []
  for await (const c of bytes as unknown as AsyncIterable<Uint8Array>) chunks.push(c)
  const node = dagPb.decode(Buffer.concat(chunks))
  return UnixFS.unmarshal(node.Data ?? new Uint8Array()).type
}

beforeAll(async () => {
  net = await startLocalNetwork()
}, 30_000)

afterAll(async () => {
  await Promise.all(peers.map(async p => { await p.stop() }))
  await net?.stop()
})

describe('the IPFS restic backend', () => {
  const big = randomBytes(3 * 1024 * 1024 + 12345) // four 1 MiB chunks
  const dataA = id('pack-a')
  const dataB = id('pack-b')
  const dataC = 'ab' + id('pack-c').slice(2) // same fan-out dir as…
  const dataD = 'ab' + id('pack-d').slice(2) // …this one
  let writer: TestPeer
  let key: PrivateKey
  let firstRoot: CID
  let finalRoot: CID

  it('creates, writes, lists with data/xx fan-out, stats, reads ranges and removes', async () => {
    writer = await peer(['/p2p-circuit'])
    key = await generateKeyPair('Ed25519')
    const backend = await createIpfsBackend({ helia: writer }, { ipns: ipnsFor(key) })
    await backend.create()
    await backend.write({ type: 'config', name: '' }, te.encode('CONFIG'))
    await backend.write({ type: 'keys', name: id('k1') }, te.encode('KEY1'))
    await backend.write({ type: 'data', name: dataA }, big)
    await backend.write({ type: 'data', name: dataB }, te.encode('B'.repeat(500)))
    await backend.write({ type: 'data', name: dataC }, te.encode('C'))
    await backend.write({ type: 'data', name: dataD }, te.encode('DD'))
    await backend.write({ type: 'index', name: id('i1') }, te.encode('INDEX'))
    await expect(backend.create()).rejects.toBeInstanceOf(RepositoryExistsError)

    const data = (await backend.list('data')).sort((x, y) => x.name.localeCompare(y.name))
    expect(data).toEqual([
      { name: dataA, size: big.length }, { name: dataB, size: 500 }, { name: dataC, size: 1 }, { name: dataD, size: 2 }
    ].sort((x, y) => x.name.localeCompare(y.name)))
    expect(await backend.list('keys')).toEqual([{ name: id('k1'), size: 4 }])
    expect(await backend.list('snapshots')).toEqual([])
    expect(await backend.stat({ type: 'data', name: dataA })).toEqual({ name: dataA, size: big.length })
    await expect(backend.stat({ type: 'data', name: id('nope') })).rejects.toBeInstanceOf(NotFoundError)
    await expect(backend.read({ type: 'snapshots', name: id('nope') })).rejects.toBeInstanceOf(NotFoundError)

    // ranges: inside one chunk, across chunk boundaries, to the end, past the end
    const mib = 1024 * 1024
    expect(sha(await backend.read({ type: 'data', name: dataA }, { offset: mib - 10, length: 2 * mib + 20 }))).toBe(sha(big.subarray(mib - 10, 3 * mib + 10)))
    expect(sha(await backend.read({ type: 'data', name: dataA }, { offset: 5, length: 100 }))).toBe(sha(big.subarray(5, 105)))
    expect(sha(await backend.read({ type: 'data', name: dataA }, { offset: 3 * mib }))).toBe(sha(big.subarray(3 * mib)))
    expect((await backend.read({ type: 'data', name: dataA }, { offset: big.length - 3, length: 100 })).length).toBe(3)
    expect(sha(await backend.read({ type: 'data', name: dataA }))).toBe(sha(big))
    expect(new TextDecoder().decode(await backend.read({ type: 'config', name: '' }))).toBe('CONFIG')

    await backend.remove({ type: 'data', name: dataD })
    await backend.remove({ type: 'data', name: id('never-there') }) // absent: not an error
    expect((await backend.list('data')).map(f => f.name).sort()).toEqual([dataA, dataB, dataC].sort())

    // files are imported with the v1 profile: CIDv1, raw leaves, 1 MiB chunks
    const root = await backend.flush()
    if (root === undefined) throw new Error('no root')
    expect(root.version).toBe(1)
    const { unixfs } = await import('@helia/unixfs')
    const st = await unixfs(writer).stat(root, { path: `data/${dataA.slice(0, 2)}/${dataA}` })
    expect(st.cid.version).toBe(1)
    expect(st.type).toBe('file')
    const leaves = dagPb.decode(Buffer.concat(await (async () => { const c: Uint8Array[] = []; for await (const x of writer.blockstore.get(st.cid) as unknown as AsyncIterable<Uint8Array>) c.push(x); return c })())).Links
    expect(leaves.length).toBe(4)
    expect(leaves.every(l => l.Hash.code === raw.code && (l.Tsize === mib || l === leaves[3]))).toBe(true)
    firstRoot = root
    expect(backend.root?.equals(root)).toBe(true)
    await backend.close()
    finalRoot = root
  }, 60_000)

  it('pins the new root before unpinning the old one, on every flush', async () => {
    const calls: string[] = []
    const pins = writer.pins
    const spied = {
      blockstore: writer.blockstore,
      routing: writer.routing,
      pins: {
        get: pins.get.bind(pins),
        ls: pins.ls.bind(pins),
        isPinned: pins.isPinned.bind(pins),
        setMetadata: pins.setMetadata.bind(pins),
        add: (cid: CID, o?: object) => { calls.push(`add ${cid.toString()}`); return pins.add(cid, o) },
        rm: (cid: CID, o?: object) => { calls.push(`rm ${cid.toString()}`); return pins.rm(cid, o) }
      }
    }
    expect(await writer.pins.isPinned(firstRoot)).toBe(true)
    const roots: CID[] = []
    const backend = await createIpfsBackend({ helia: spied }, { root: firstRoot, onRootChange: (r) => { roots.push(r) } })
    await backend.write({ type: 'snapshots', name: id('s1') }, te.encode('SNAP'))
    expect(backend.dirty).toBe(true)
    const second = await backend.flush()
    await backend.write({ type: 'locks', name: id('l1') }, te.encode('LOCK'))
    await backend.remove({ type: 'locks', name: id('l1') })
    await backend.write({ type: 'locks', name: id('l2') }, te.encode('LOCK2'))
    const third = await backend.close()
    if (second === undefined || third === undefined) throw new Error('no root')
    expect(roots.map(String)).toEqual([second.toString(), third.toString()])
    expect(calls).toEqual([`add ${second.toString()}`, `rm ${firstRoot.toString()}`, `add ${third.toString()}`, `rm ${second.toString()}`])
    expect(await writer.pins.isPinned(firstRoot)).toBe(false)
    expect(await writer.pins.isPinned(second)).toBe(false)
    expect(await writer.pins.isPinned(third)).toBe(true)
    // a flush with nothing changed keeps the root
    const again = await createIpfsBackend({ helia: writer }, { root: third })
    expect((await again.flush())?.equals(third)).toBe(true)
    finalRoot = third
  }, 30_000)

  it('reopens from the root CID on another peer, fetching blocks over bitswap', async () => {
    const reader = await peer()
    const writerAddr = await waitForCircuitAddress(writer, { signal: AbortSignal.timeout(10_000) })
    await reader.libp2p.dial(writerAddr, { signal: AbortSignal.timeout(10_000) })
    expect(await reader.blockstore.has(finalRoot)).toBe(false)
    const backend = await createIpfsBackend({ helia: reader }, { root: finalRoot.toString(), pin: false })
    expect(backend.location).toBe(`ipfs://${finalRoot.toString()}`)
    expect((await backend.list('data')).length).toBe(3)
    expect(await backend.list('locks')).toEqual([{ name: id('l2'), size: 5 }])
    const mib = 1024 * 1024
    const part = await backend.read({ type: 'data', name: dataA }, { offset: 2 * mib + 7, length: 1000 })
    expect(sha(part)).toBe(sha(big.subarray(2 * mib + 7, 2 * mib + 1007)))
    // a ranged read fetched only the chunk it needed: the other leaves are not here
    const { unixfs } = await import('@helia/unixfs')
    const fileCid = (await unixfs(reader).stat(finalRoot, { path: `data/${dataA.slice(0, 2)}/${dataA}` })).cid
    const chunks: Uint8Array[] = []
    for await (const x of reader.blockstore.get(fileCid) as unknown as AsyncIterable<Uint8Array>) chunks.push(x)
    const links = dagPb.decode(Buffer.concat(chunks)).Links
    const local = await Promise.all(links.map(async l => await reader.blockstore.has(l.Hash)))
    expect(local).toEqual([false, false, true, false])
  }, 30_000)

  it('asks again when no block arrives for a while, and fails clearly when a read keeps stalling', async () => {
    // The writer's blocks, behind a blockstore whose next `hang` gets of file chunks (raw leaves)
    // never answer, like a want no peer serves; each one ends only when its signal aborts.
    let hang = 0
    const store = writer.blockstore
    const blockstore = new Proxy(store, {
      get (target, prop) {
        if (prop === 'get') {
          return (cid: CID, o: { signal?: AbortSignal } = {}) => {
            if (hang === 0 || cid.code !== raw.code) return target.get(cid, o)
            hang--
            return (async function * () {
              await new Promise((_resolve, reject) => { o.signal?.addEventListener('abort', () => { reject(o.signal?.reason) }, { once: true }) })
              yield new Uint8Array()
            })()
          }
        }
        const v = Reflect.get(target, prop, target) as unknown
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v
      }
    })
    const stalled: unknown[] = []
    const backend = await createIpfsBackend({ helia: { blockstore, routing: writer.routing, pins: writer.pins } }, {
      root: finalRoot, pin: false, readStallTimeoutMs: 1000, onProgress: (e) => { if (e.type === 'restic-ipfs:read:stalled') stalled.push(e.detail) }
    })
    hang = 1
    expect(sha(await backend.read({ type: 'data', name: dataA }))).toBe(sha(big))
    // (under load a slow but answered read may stall once more; the hung one always does)
    // (the other leaves are read meanwhile, so bytesRead is whatever had arrived by then)
    expect(stalled[0]).toMatchObject({ path: `data/${dataA.slice(0, 2)}/${dataA}`, attempt: 1 })
    hang = 1000
    await expect(backend.read({ type: 'data', name: dataA })).rejects.toThrow(/stalled: no block arrived for 1 s, 3 times/)
    hang = 0
  }, 30_000)

  it('publishes on close and reopens from the IPNS name on another peer', async () => {
    const reader = await peer()
    const writerAddr = await waitForCircuitAddress(writer, { signal: AbortSignal.timeout(10_000) })
    await reader.libp2p.dial(writerAddr, { signal: AbortSignal.timeout(10_000) })
    const name = nameFromPublicKey(key.publicKey).k51
    const pub = await createIpfsBackend({ helia: writer }, { root: finalRoot, ipns: ipnsFor(key) })
    await pub.write({ type: 'snapshots', name: id('s2') }, te.encode('SNAP2'))
    expect((await pub.ipnsName())?.k51).toBe(name)
    const published = await pub.close()
    if (published === undefined) throw new Error('no root')
    const backend = await createIpfsBackend({ helia: reader }, { name, ipns: ipnsFor(), pin: false })
    expect(backend.location).toBe(`ipns://${name}`)
    expect(backend.root?.equals(published)).toBe(true)
    expect((await backend.list('snapshots')).map(s => s.name).sort()).toEqual([id('s1'), id('s2')].sort())
    expect(new TextDecoder().decode(await backend.read({ type: 'snapshots', name: id('s2') }))).toBe('SNAP2')
  }, 30_000)

  it('generates the repository key in a key store on create and republishes after each close', async () => {
    const p = await peer()
    const keys = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'pw' }, scryptLogN: 10 })
    const ipns = { ...ipnsFor(), keys, keyName: 'repo-one' }
    const backend = await createIpfsBackend({ helia: p }, { ipns })
    await backend.create()
    expect(await keys.has('repo-one')).toBe(true)
    await backend.write({ type: 'config', name: '' }, te.encode('C1'))
    const r1 = await backend.close()
    const name = (await keys.get('repo-one')).name.k51
    const resolved = await createIpfsBackend({ helia: p }, { name: `/ipns/${name}`, ipns: ipnsFor() })
    expect(resolved.root?.equals(r1 as CID)).toBe(true)
    await resolved.close()
  }, 30_000)

  it('hands the root about to be published to beforePublish, and publishes nothing when it throws', async () => {
    const p = await peer()
    const keys = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'pw' }, scryptLogN: 10 })
    const handed: CID[] = []
    const ipns = { ...ipnsFor(), keys, keyName: 'kept' }
    const backend = await createIpfsBackend({ helia: p }, { ipns, beforePublish: async (root) => { handed.push(root) } })
    await backend.create()
    await backend.write({ type: 'config', name: '' }, te.encode('C1'))
    const r1 = await backend.close()
    expect(handed.map(String)).toEqual([String(r1)])
    const name = (await keys.get('kept')).name.k51

    const again = await createIpfsBackend({ helia: p }, { name, ipns, beforePublish: async () => { throw new Error('the keeper is down.') } })
    await again.write({ type: 'snapshots', name: id('kept-s') }, te.encode('S'))
    const err = await again.close().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RepoNotKeptError)
    expect((err as RepoNotKeptError).root).toBe(again.root?.toString())
    expect((err as Error).message).toMatch(/pinned only on this node.*still points at its previous root.*the keeper is down.*run the command again/s)
    const resolved = await createIpfsBackend({ helia: p }, { name, ipns: ipnsFor() })
    expect(resolved.root?.equals(r1 as CID)).toBe(true)
    await resolved.close()
  }, 30_000)

  it('turns a large directory into a HAMT shard (threshold lowered) and keeps listing, reading and removing', async () => {
    const p = await peer()
    const backend = await createIpfsBackend({ helia: p }, { profile: { shardSplitThresholdBytes: 2000 } })
    await backend.create()
    const names = Array.from({ length: 80 }, (_, i) => id(`index-${i}`))
    for (const n of names) await backend.write({ type: 'index', name: n }, te.encode(n))
    const ab = Array.from({ length: 40 }, (_, i) => 'ab' + id(`ab-${i}`).slice(2))
    for (const n of ab) await backend.write({ type: 'data', name: n }, te.encode(n + n))
    const root = await backend.flush()
    if (root === undefined) throw new Error('no root')
    const { unixfs } = await import('@helia/unixfs')
    const fs = unixfs(p)
    expect(await blockType(p, (await fs.stat(root, { path: 'index' })).cid)).toBe('hamt-sharded-directory')
    expect(await blockType(p, (await fs.stat(root, { path: 'data/ab' })).cid)).toBe('hamt-sharded-directory')
    expect(await blockType(p, (await fs.stat(root, { path: 'keys' })).cid)).toBe('directory')
    const listed = await backend.list('index')
    expect(listed.map(f => f.name).sort()).toEqual([...names].sort())
    expect(listed.every(f => f.size === 64)).toBe(true)
    expect((await backend.list('data')).length).toBe(40)
    expect(new TextDecoder().decode(await backend.read({ type: 'index', name: names[17] ?? '' }))).toBe(names[17])
    for (const n of names.slice(0, 70)) await backend.remove({ type: 'index', name: n })
    const after = await backend.flush()
    if (after === undefined) throw new Error('no root')
    expect((await backend.list('index')).map(f => f.name).sort()).toEqual(names.slice(70).sort())
    // reopened from the new root on the same node
    const reopened = await createIpfsBackend({ helia: p }, { root: after })
    expect((await reopened.stat({ type: 'data', name: ab[39] ?? '' })).size).toBe(128)
  }, 60_000)

  it('holds garbage collection off while writes are unflushed; GC then frees only the old root\'s blocks', async () => {
    const { collectGarbage } = await import('../../../src/ipfs/pins/index.js')
    // An offline node (a libp2p test peer cannot delete blocks: it has no content router to cancel provides on).
    const { createHeliaLight } = await import('helia')
    const { MemoryBlockstore } = await import('blockstore-core')
    const p = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() })
    await p.start()
    const backend = await createIpfsBackend({ helia: p }, {})
    await backend.create()
    const gone = randomBytes(5000)
    await backend.write({ type: 'data', name: id('gone') }, gone)
    await backend.write({ type: 'config', name: '' }, te.encode('CFG'))
    await backend.flush()
    await backend.remove({ type: 'data', name: id('gone') })
    const kept = randomBytes(7000)
    await backend.write({ type: 'data', name: id('kept') }, kept)
    let collected: { blocks: number } | undefined
    const gc = collectGarbage(p).then(r => { collected = r })
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(collected).toBeUndefined() // waiting for the flush
    await backend.flush()
    await gc
    expect(collected?.blocks).toBeGreaterThan(0) // the removed file and the old directories
    const goneCid = CID.createV1(raw.code, await sha256.digest(gone))
    expect(await p.blockstore.has(goneCid)).toBe(false)
    expect(sha(await backend.read({ type: 'data', name: id('kept') }))).toBe(sha(kept))
    await backend.close()
    await p.stop()
  }, 30_000)

  it('says what to do when a name cannot be resolved or a root cannot be fetched', async () => {
    const p = await peer()
    const stranger = nameFromPublicKey((await generateKeyPair('Ed25519')).publicKey).k51
    const err = await createIpfsBackend({ helia: p }, { name: stranger, ipns: ipnsFor() }).catch(e => e as Error)
    expect(err).toBeInstanceOf(RepoNameUnresolvableError)
    expect((err as Error).message).toMatch(/republish/)
    await expect(createIpfsBackend({ helia: p }, { name: stranger })).rejects.toBeInstanceOf(RepoNameUnresolvableError)
    const missing = CID.createV1(dagPb.code, await sha256.digest(te.encode('no such block anywhere')))
    const err2 = await createIpfsBackend({ helia: p }, { root: missing, openTimeoutMs: 1500 }).catch(e => e as Error)
    expect(err2).toBeInstanceOf(RepoRootUnreachableError)
    expect((err2 as Error).message).toMatch(/Connect to a peer/)
  }, 30_000)

  it('runs the restic engine on it: init, backup, reopen by name on another peer, check, restore', async () => {
    const a = await peer(['/p2p-circuit'])
    const repoKey = await generateKeyPair('Ed25519')
    const backend = await createIpfsBackend({ helia: a }, { ipns: ipnsFor(repoKey) })
    const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST })
    const files = { 'a.txt': te.encode('alpha\n'), big: randomBytes(2_500_000), dir: { 'b.txt': te.encode('beta\n') } }
    const summary = await backup(repo, new MemorySource(files), { hostname: 'h' })
    await backend.close()

    const b = await peer()
    await b.libp2p.dial(await waitForCircuitAddress(a, { signal: AbortSignal.timeout(10_000) }), { signal: AbortSignal.timeout(10_000) })
    const name = nameFromPublicKey(repoKey.publicKey).k51
    const remote = await createIpfsBackend({ helia: b }, { name, ipns: ipnsFor(), pin: false })
    const repo2 = await Repository.open(remote, { password: 'pw' })
    const snaps = await listSnapshots(repo2)
    expect(snaps.map(s => s.id)).toEqual([summary.snapshotId])
    const result = await check(repo2, { readData: true })
    expect(result.errors).toEqual([])
    const sink = new MemorySink()
    await restore(repo2, await findSnapshot(repo2, 'latest'), sink)
    const big = [...sink.entries].find(([k]) => k.endsWith('big'))?.[1].data
    expect(big === undefined ? '' : sha(big)).toBe(sha(files.big))
  }, 90_000)
})
