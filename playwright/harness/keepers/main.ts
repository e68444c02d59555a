/**
 * Test harness (playwright/specs/keepers.spec.ts): in a real page, adds a file of several MiB to
 * an in-memory blockstore and pushes it with `KuboRpcKeeper` or `ClusterKeeper` (fetch and
 * FormData only, CAR parts of about 8 MiB), and keeps a signed IPNS record through Kubo.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryBlockstore } from 'blockstore-core'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { base36 } from 'multiformats/bases/base36'
import { addBytes } from '../../../src/ipfs/add/add.js'
import { ClusterKeeper } from '../../../src/ipfs/push/cluster.js'
import { KuboRpcKeeper } from '../../../src/ipfs/push/kubo-rpc.js'

export interface PushResult {
  root?: string
  state?: string
  uploads?: number
  record?: { name: string, bytes: number[] }
  error?: { code: string, message: string }
}

function keeper (kind: 'kubo' | 'cluster', endpoint: string, token: string): KuboRpcKeeper | ClusterKeeper {
  return kind === 'kubo' ? new KuboRpcKeeper({ name: 'page', endpoint, token }) : new ClusterKeeper({ name: 'page', endpoint, token })
}

async function push (kind: 'kubo' | 'cluster', endpoint: string, token: string, mib: number, seed: number): Promise<PushResult> {
  try {
    const blockstore = new MemoryBlockstore()
    const bytes = new Uint8Array(mib * 1024 * 1024)
    for (let i = 0; i < bytes.byteLength; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536))
    bytes[0] = seed
    const { cid } = await addBytes(blockstore, bytes)
    let uploads = 0
    const status = await keeper(kind, endpoint, token).pushDag(cid, {
      blocks: blockstore,
      onProgress: (e) => { if (e.type === 'push:keeper:upload') uploads++ }
    })
    return { root: cid.toString(), state: status.state, uploads }
  } catch (err) {
    return { error: { code: String((err as { code?: unknown }).code), message: (err as Error).message } }
  }
}

async function pushRecord (endpoint: string, token: string, value: string): Promise<PushResult> {
  try {
    const key = await generateKeyPair('Ed25519')
    const name = peerIdFromPrivateKey(key).toCID().toString(base36)
    const record = marshalIPNSRecord(await createIPNSRecord(key, value, 1n, 60_000))
    await new KuboRpcKeeper({ name: 'page', endpoint, token }).pushRecord(name, record)
    return { record: { name, bytes: [...record] } }
  } catch (err) {
    return { error: { code: String((err as { code?: unknown }).code), message: (err as Error).message } }
  }
}

async function status (kind: 'kubo' | 'cluster', endpoint: string, token: string, root: string): Promise<PushResult> {
  try {
    const { CID } = await import('multiformats/cid')
    return { state: (await keeper(kind, endpoint, token).status(CID.parse(root))).state }
  } catch (err) {
    return { error: { code: String((err as { code?: unknown }).code), message: (err as Error).message } }
  }
}

(globalThis as unknown as { keepersHarness: unknown }).keepersHarness = { push, pushRecord, status }
