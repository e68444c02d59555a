/**
 * Remote reads of a repository held by the local network peer (relay, bitswap and a trustless
 * gateway on loopback), from a fresh Cairn node with the page's composition (bitswap and the
 * gateway broker): a small ranged read of a pack fetches only the blocks that cover it, once each,
 * whichever way they come (the peer's blockstore counts what bitswap and the gateway hand out).
 */
import { randomBytes } from 'node:crypto'
import * as dagPb from '@ipld/dag-pb'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMPTY_SETTINGS } from '../../../src/core/settings.js'
import { readBlock } from '../../../src/ipfs/car/walk.js'
import { createNode } from '../../../src/ipfs/node.js'
import { createIpfsBackend } from '../../../src/ipfs/restic-backend/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import type { CairnNode } from '../../../src/ipfs/node.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

const MIB = 1024 * 1024
const PACK = 'ab' + 'c'.repeat(62)

/** Bytes and blocks the peer's blockstore handed out, per CID. */
const served = new Map<string, { count: number, bytes: number }>()
function counting (inner: Blockstore): Blockstore {
  return new Proxy(inner, {
    get (target, prop) {
      if (prop === 'get') {
        return async function * (cid: CID, options?: unknown) {
          const entry = served.get(cid.toString()) ?? { count: 0, bytes: 0 }
          served.set(cid.toString(), entry)
          entry.count++
          for await (const chunk of (target.get as (c: CID, o?: unknown) => AsyncIterable<Uint8Array>)(cid, options)) {
            entry.bytes += chunk.byteLength
            yield chunk
          }
        }
      }
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    }
  })
}

let net: LocalNetwork
const inner = new MemoryBlockstore()
const nodes: CairnNode[] = []
const pack = randomBytes(4 * MIB + 12345) // five 1 MiB leaves under one file root
let root: CID

async function freshNode (): Promise<CairnNode> {
  const relay = net.relayAddrs[0] ?? ''
  const node = createNode({
    blockstore: new MemoryBlockstore(),
    datastore: new MemoryDatastore(),
    webrtc: false,
    settings: { ...EMPTY_SETTINGS, bootstrap: [relay], relays: [relay], gateways: [net.gatewayUrl], delegatedRouters: [net.routingUrl] }
  })
  nodes.push(node)
  await node.start()
  await node.libp2p.dial(multiaddr(relay), { signal: AbortSignal.timeout(10_000) })
  return node
}

/** The CIDs on the way to the pack (root, data/, data/ab/, the pack's root) and the pack's leaves. */
async function packBlocks (): Promise<{ path: CID[], leaves: CID[] }> {
  const path: CID[] = [root]
  let cid = root
  for (const name of ['data', PACK.slice(0, 2), PACK]) {
    const node = dagPb.decode(await readBlock(inner, cid))
    const link = node.Links.find(l => l.Name === name)
    if (link === undefined) throw new Error(`no ${name}`)
    cid = link.Hash
    path.push(cid)
  }
  const leaves = dagPb.decode(await readBlock(inner, cid)).Links.map(l => l.Hash)
  return { path, leaves }
}

async function sizeOf (cids: CID[]): Promise<number> {
  let n = 0
  for (const c of cids) n += (await readBlock(inner, c)).byteLength
  return n
}

beforeAll(async () => {
  net = await startLocalNetwork({ blockstore: counting(inner) })
  const writer = await createIpfsBackend({ helia: net.helia }, { pin: false })
  await writer.create()
  await writer.write({ type: 'data', name: PACK }, pack)
  const flushed = await writer.flush()
  if (flushed === undefined) throw new Error('no root')
  root = flushed
}, 60_000)

afterAll(async () => {
  await Promise.all(nodes.map(async n => { await n.stop() }))
  await net?.stop()
})

describe('a small ranged read of a remote pack', () => {
  const cases: Array<{ what: string, offset: number, length: number, leaves: number[] }> = [
    { what: 'inside one leaf', offset: 2 * MIB + 7, length: 100_000, leaves: [2] },
    { what: 'across a leaf boundary', offset: MIB - 50_000, length: 100_000, leaves: [0, 1] },
    { what: 'ending exactly at a leaf boundary', offset: 2 * MIB - 100_000, length: 100_000, leaves: [1] }
  ]
  for (const c of cases) {
    it(`fetches only the blocks that cover it, once each (${c.what})`, async () => {
      const { path, leaves } = await packBlocks()
      expect(leaves.length).toBe(5)
      const node = await freshNode()
      served.clear()
      const backend = await createIpfsBackend({ helia: node }, { root, gateways: [net.gatewayUrl], pin: false })
      const got = await backend.read({ type: 'data', name: PACK }, { offset: c.offset, length: c.length })
      expect(Buffer.from(got).equals(pack.subarray(c.offset, c.offset + c.length))).toBe(true)

      const needed = [...path, ...c.leaves.map(i => leaves[i] as CID)]
      const neededBytes = await sizeOf(needed)
      let fetchedBytes = 0
      for (const e of served.values()) fetchedBytes += e.bytes
      expect(fetchedBytes).toBeLessThanOrEqual(1.5 * neededBytes)
      // No leaf outside the range was handed out, and none twice (over bitswap and HTTP).
      for (const [i, leaf] of leaves.entries()) {
        expect(served.get(leaf.toString())?.count ?? 0, `leaf ${i}`).toBe(c.leaves.includes(i) ? 1 : 0)
      }
    }, 30_000)
  }
})
