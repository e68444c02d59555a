/** The shared CAR block selection (src/ipfs/gateway/dag.ts): the cap on blocks per CAR. */
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { GatewayRequestError, selectBlocks } from '../../../src/ipfs/gateway/index.js'

/** A chain of `depth` nodes, each linking the next twice: 2^depth paths to the leaf. */
async function doublingDag (store: MemoryBlockstore, depth: number): Promise<CID> {
  let child: CID | undefined
  for (let i = 0; i < depth; i++) {
    const bytes = dagPb.encode({ Data: Uint8Array.of(i), Links: child === undefined ? [] : [{ Hash: child, Name: 'a' }, { Hash: child, Name: 'b' }] })
    child = CID.createV1(dagPb.code, await sha256.digest(bytes))
    await store.put(child, bytes)
  }
  if (child === undefined) throw new Error('depth must be positive')
  return child
}

async function count (source: AsyncIterable<unknown>): Promise<number> {
  let n = 0
  for await (const _ of source) n++
  return n
}

describe('selectBlocks', () => {
  it('repeats shared blocks with dups=y, once with dups=n, and stops past maxBlocks', async () => {
    const store = new MemoryBlockstore()
    const root = await doublingDag(store, 6)
    const resolved = { terminal: root, path: [] }
    expect(await count(selectBlocks(store, resolved, { scope: 'all', dups: false }))).toBe(6)
    expect(await count(selectBlocks(store, resolved, { scope: 'all', dups: true }))).toBe(2 ** 6 - 1)
    await expect(count(selectBlocks(store, resolved, { scope: 'all', dups: true, maxBlocks: 40 }))).rejects.toBeInstanceOf(GatewayRequestError)
  })
})
