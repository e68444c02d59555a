/**
 * The name's key carried in the repository (`cairn-ipns-key`), on a real Helia peer with the local
 * network's routing server: a device with only the password unlocks it and publishes; a device
 * with neither key nor key file is read-only (named error, locks still allowed); a key file for
 * another name, or a damaged one, is refused.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { unixfs } from '@helia/unixfs'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryDatastore } from 'datastore-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NameStateStore, nameFromPublicKey, publishWithKey } from '../../../src/ipfs/ipns/index.js'
import { RepoKeyFileError, RepoKeyMismatchError, RepoReadOnlyError, createIpfsBackend } from '../../../src/ipfs/restic-backend/index.js'
import { REPO_KEY_FILE, sealRepoKey } from '../../../src/ipfs/restic-backend/repo-key.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { MemorySource, Repository, backup, listSnapshots } from '../../../src/restic/index.js'
import type { IpfsBackendIPNS } from '../../../src/ipfs/restic-backend/index.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'
import type { PrivateKey } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

const FAST = { N: 1024, r: 8, p: 1 }
const PASSWORD = 'repo key test'
const te = new TextEncoder()
let net: LocalNetwork
let p: TestPeer

beforeAll(async () => {
  net = await startLocalNetwork()
  p = await createTestPeer()
  await p.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
}, 30_000)
afterAll(async () => {
  await p?.stop()
  await net?.stop()
})

function ipns (privateKey?: PrivateKey): IpfsBackendIPNS {
  return { routers: [net.routingUrl], state: new NameStateStore(new MemoryDatastore()), privateKey }
}

async function snapshot (repo: Repository, host: string): Promise<void> {
  await backup(repo, new MemorySource({ [`${host}.txt`]: te.encode(`from ${host}`) }), { hostname: host })
}

/** A repository under `key`'s name; with `carry` its key file is written by the first write. */
async function makeRepo (key: PrivateKey, carry: boolean): Promise<string> {
  const backend = await createIpfsBackend({ helia: p }, { ipns: ipns(key) })
  const repo = await Repository.init(backend, { password: PASSWORD, scrypt: FAST })
  if (carry) await backend.useMasterKey(repo.key)
  await snapshot(repo, 'creator')
  await backend.close()
  return nameFromPublicKey(key.publicKey).k51
}

describe('the name\'s key in the repository', () => {
  it('lets a device with only the password publish, and refuses writes where there is no key at all', async () => {
    const name = await makeRepo(await generateKeyPair('Ed25519'), true)
    const second = await createIpfsBackend({ helia: p }, { name, ipns: ipns() })
    expect(await second.readOnlyReason()).toMatch(/read-only here.*not unlocked/)
    const repo = await Repository.open(second, { password: PASSWORD })
    await second.useMasterKey(repo.key)
    expect(await second.readOnlyReason()).toBeUndefined()
    expect((await second.ipnsName())?.k51).toBe(name)
    await snapshot(repo, 'second')
    const published = await second.close()
    const third = await createIpfsBackend({ helia: p }, { name, ipns: ipns() })
    expect(third.root?.equals(published as CID)).toBe(true)
    expect((await listSnapshots(await Repository.open(third, { password: PASSWORD }))).map(s => s.hostname).sort()).toEqual(['creator', 'second'])

    // A repository made before the key travelled with it, opened where the key is not held.
    const bare = await makeRepo(await generateKeyPair('Ed25519'), false)
    const ro = await createIpfsBackend({ helia: p }, { name: bare, ipns: ipns() })
    const roRepo = await Repository.open(ro, { password: PASSWORD })
    await ro.useMasterKey(roRepo.key)
    expect(await ro.readOnlyReason()).toMatch(/does not carry it yet.*device that created it/)
    await expect(snapshot(roRepo, 'nope')).rejects.toBeInstanceOf(RepoReadOnlyError)
    await expect(ro.publish()).rejects.toBeInstanceOf(RepoReadOnlyError)
    // restic's locks are still written (reading commands take one); they are never published.
    await ro.write({ type: 'locks', name: 'ab'.repeat(32) }, te.encode('lock'))
    await ro.remove({ type: 'locks', name: 'ab'.repeat(32) })
    await ro.close()
  }, 120_000)

  it('adds the key file to an existing repository with the next write of a device holding the key', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = await makeRepo(key, false)
    const owner = await createIpfsBackend({ helia: p }, { name, ipns: ipns(key) })
    const repo = await Repository.open(owner, { password: PASSWORD })
    await owner.useMasterKey(repo.key)
    expect(await unixfs(p).stat(owner.root as CID, { path: REPO_KEY_FILE }).catch(() => undefined)).toBeUndefined()
    await snapshot(repo, 'owner')
    const root = await owner.close()
    expect((await unixfs(p).stat(root as CID, { path: REPO_KEY_FILE })).type).toBe('raw')
  }, 60_000)

  it('refuses a key file that holds another name\'s key, or does not open with the master key', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = await makeRepo(key, true)
    const fs = unixfs(p)
    const opened = await createIpfsBackend({ helia: p }, { name, ipns: ipns() })
    const master = (await Repository.open(opened, { password: PASSWORD })).key
    const plant = async (bytes: Uint8Array): Promise<void> => {
      const root = await fs.cp(await fs.addBytes(bytes, { cidVersion: 1, rawLeaves: true }), opened.root as CID, REPO_KEY_FILE, { force: true })
      await publishWithKey(ipns(), key, root)
    }
    const open = async (): Promise<void> => {
      const b = await createIpfsBackend({ helia: p }, { name, ipns: ipns() })
      const r = await Repository.open(b, { password: PASSWORD })
      await b.useMasterKey(r.key)
    }
    // Sealed correctly, but the key of another name.
    const other = await generateKeyPair('Ed25519')
    await plant(await sealRepoKey(master, other))
    await expect(open()).rejects.toThrow(RepoKeyMismatchError)
    await expect(open()).rejects.toThrow(new RegExp(`carries the key of ${nameFromPublicKey(other.publicKey).k51}, not of ${name}`))
    // A flipped byte: the MAC no longer matches.
    const sealed = await sealRepoKey(master, key)
    sealed[20] = (sealed[20] as number) ^ 1
    await plant(sealed)
    await expect(open()).rejects.toThrow(RepoKeyFileError)
  }, 60_000)
})
