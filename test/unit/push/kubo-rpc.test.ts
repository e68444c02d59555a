/**
 * KuboRpcKeeper against the local network's Kubo RPC subset: a real 9 MiB UnixFS file (two CAR
 * parts) and a folder pushed from a real blockstore, read back by a fresh Helia peer over bitswap;
 * status absent → pinned; an IPNS record kept and read back; a tampered block refused with
 * nothing pinned; refused credentials; a server that is not there.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createIPNSRecord, marshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { base36 } from 'multiformats/bases/base36'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPinned } from '../../../src/ipfs/pins/index.js'
import { KeeperAuthError, KeeperError, KeeperUnreachableError } from '../../../src/ipfs/push/errors.js'
import { authorization } from '../../../src/ipfs/push/keeper-http.js'
import { KuboRpcKeeper } from '../../../src/ipfs/push/kubo-rpc.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { fetchFileOverBitswap, fetchFolderOverBitswap, freePort, makeSource, someBlockUnder, tampered } from './keeper-fixtures.js'
import type { KeeperEvents } from '../../../src/ipfs/push/keeper.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { Source } from './keeper-fixtures.js'
import type { MultihashDigest } from 'multiformats/hashes/interface'

let net: LocalNetwork
let source: Source
let kubo: KuboRpcKeeper

beforeAll(async () => {
  net = await startLocalNetwork()
  source = await makeSource('kubo-keeper')
  const info = net.info.kuboRpc
  if (info === undefined) throw new Error('cairn-local.json has no kuboRpc')
  kubo = new KuboRpcKeeper({ name: 'local', endpoint: info.endpoint, token: info.token })
})

afterAll(async () => {
  await net?.stop()
})

describe('KuboRpcKeeper against the local network', () => {
  it('is published in cairn-local.json with the pinning token', async () => {
    const res = await fetch(`${net.httpUrl}/cairn-local.json`)
    const body = await res.json() as { kuboRpc?: { endpoint: string, token: string } }
    expect(body.kuboRpc).toEqual({ endpoint: net.httpUrl, token: net.pinningService.token })
    expect(kubo).toMatchObject({ id: 'kubo:local', kind: 'kubo', holdsRecords: true })
    expect(kubo.label).toBe(`Kubo at ${new URL(net.httpUrl).host}`)
  })

  it('pushes a 9 MiB file in more than one CAR part; status goes absent → pinned; a fresh peer reads it back', async () => {
    const root = source.file.root
    expect(await kubo.status(root)).toMatchObject({ state: 'absent' })
    const events: KeeperEvents[] = []
    const status = await kubo.pushDag(root, { blocks: source.blockstore, name: 'big file', signal: AbortSignal.timeout(60_000), onProgress: e => events.push(e) })
    expect(status.state).toBe('pinned')
    const uploads = events.filter(e => e.type === 'push:keeper:upload')
    expect(uploads.length).toBeGreaterThanOrEqual(2)
    expect(events.at(-1)).toMatchObject({ type: 'push:keeper:status', detail: { state: 'pinned' } })
    expect(await kubo.status(root)).toMatchObject({ state: 'pinned' })
    expect(await isPinned(net.helia, root)).toBe(true)
    const back = await fetchFileOverBitswap(net, root)
    expect(back.byteLength).toBe(source.file.bytes.byteLength)
    expect(Buffer.compare(back, source.file.bytes)).toBe(0)
  })

  it('does not upload a DAG Kubo already pins', async () => {
    const sent: string[] = []
    const spy: typeof fetch = async (input, init) => {
      sent.push(`${init?.method ?? 'GET'} ${String(input)}`)
      return await fetch(input, init)
    }
    const watched = new KuboRpcKeeper({ name: 'local', endpoint: net.httpUrl, token: net.pinningService.token, fetch: spy })
    expect((await watched.pushDag(source.file.root, { blocks: source.blockstore })).state).toBe('pinned')
    expect(sent).toEqual([`POST ${net.httpUrl}/api/v0/pin/ls?arg=${source.file.root.toString()}&type=recursive`])
  })

  it('pushes a folder; a fresh peer reads every file back', async () => {
    const status = await kubo.pushDag(source.folder.root, { blocks: source.blockstore, signal: AbortSignal.timeout(30_000) })
    expect(status.state).toBe('pinned')
    const back = await fetchFolderOverBitswap(net, source.folder.root, 'folder')
    expect([...back.keys()].sort()).toEqual([...source.folder.files.keys()].sort())
    for (const [path, bytes] of source.folder.files) expect(Buffer.compare(back.get(path) ?? new Uint8Array(), bytes)).toBe(0)
  })

  it('keeps a signed IPNS record: routing/put, then routing/get gives the same bytes', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = peerIdFromPrivateKey(key).toCID().toString(base36)
    const record = marshalIPNSRecord(await createIPNSRecord(key, source.folder.root, 1n, 60_000))
    await kubo.pushRecord(name, record)
    const routingKey = multihashToIPNSRoutingKey(peerIdFromPrivateKey(key).toMultihash() as MultihashDigest<0x00>)
    expect(Buffer.compare(await net.router.find(routingKey) ?? new Uint8Array(), record)).toBe(0)
    const res = await fetch(`${net.httpUrl}/api/v0/routing/get?arg=/ipns/${name}`, { method: 'POST', headers: { authorization: `Bearer ${net.pinningService.token}` } })
    const event = await res.json() as { Extra: string, Type: number }
    expect(event.Type).toBe(5)
    expect(Buffer.compare(Buffer.from(event.Extra, 'base64'), record)).toBe(0)
  })

  it('refuses a record signed by another key, saying why', async () => {
    const owner = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const name = peerIdFromPrivateKey(owner).toCID().toString(base36)
    const forged = marshalIPNSRecord(await createIPNSRecord(other, source.folder.root, 1n, 60_000))
    const err = await kubo.pushRecord(name, forged).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperError)
    expect((err as Error).message).toMatch(/Kubo "local" could not keep the IPNS record .*HTTP 500: invalid IPNS record/)
  })

  it('refuses a DAG with a tampered block, with a clear error, and pins nothing', async () => {
    const dag = await makeSource('kubo-tampered', 100_000)
    const victim = await someBlockUnder(dag.blockstore, dag.folder.root)
    const err = await kubo.pushDag(dag.folder.root, { blocks: tampered(dag.blockstore, victim), signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperError)
    expect((err as Error).message).toContain(`Block ${victim.toString()}`)
    expect((err as Error).message).toMatch(/corrupt: its bytes do not hash to its CID/)
    expect(await kubo.status(dag.folder.root)).toMatchObject({ state: 'absent' })
    expect(await isPinned(net.helia, dag.folder.root)).toBe(false)
    expect(await net.helia.blockstore.has(victim)).toBe(false)
  })

  it('says the credentials were refused (wrong token, user:password sent as Basic)', async () => {
    const wrong = new KuboRpcKeeper({ name: 'local', endpoint: net.httpUrl, token: 'not-the-token' })
    const err = await wrong.status(source.file.root).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperAuthError)
    expect((err as Error).message).toMatch(/Kubo "local" refused the credentials \(HTTP 403: Kubo RPC access denied.*Check the token in Settings/)
    const basic = new KuboRpcKeeper({ name: 'local', endpoint: net.httpUrl, token: 'user:password' })
    await expect(basic.pushDag(source.folder.root, { blocks: source.blockstore })).rejects.toBeInstanceOf(KeeperAuthError)
    expect(authorization('user:pässword')).toBe(`Basic ${Buffer.from('user:pässword').toString('base64')}`)
    expect(authorization('abc')).toBe('Bearer abc')
  })

  it('says when the server cannot be reached', async () => {
    const port = await freePort()
    const gone = new KuboRpcKeeper({ name: 'gone', endpoint: `http://127.0.0.1:${port}`, token: 't' })
    const err = await gone.status(source.file.root).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperUnreachableError)
    expect((err as Error).message).toMatch(/Could not reach Kubo "gone" at http:\/\/127\.0\.0\.1:\d+ .*Check the endpoint in Settings/)
    await expect(gone.pushRecord('k51x', new Uint8Array(1))).rejects.toBeInstanceOf(KeeperUnreachableError)
  })
})
