import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { createHeliaLight } from 'helia'
import { afterEach } from 'vitest'
import type { Helia } from '@helia/interface'

/** A real Helia with memory stores and no network at all (no libp2p, no routers, no gateways). */
export async function createTestNode (): Promise<{ helia: Helia, blockstore: MemoryBlockstore }> {
  const blockstore = new MemoryBlockstore()
  const helia = createHeliaLight({ blockstore, datastore: new MemoryDatastore() })
  await helia.start()
  return { helia, blockstore }
}

/** `node()` makes a test node; every node made is stopped after each test. Call at file level. */
export function useTestNodes (): () => Promise<{ helia: Helia, blockstore: MemoryBlockstore }> {
  let nodes: Helia[] = []
  afterEach(async () => {
    await Promise.all(nodes.map(async h => h.stop()))
    nodes = []
  })
  return async () => {
    const n = await createTestNode()
    nodes.push(n.helia)
    return n
  }
}

/** Deterministic pseudo-random bytes (xorshift32), streamed in 64 KiB pieces. */
export async function * pseudoRandom (length: number, seed = 1): AsyncGenerator<Uint8Array> {
  let x = seed >>> 0 || 1
  let left = length
  while (left > 0) {
    const n = Math.min(left, 65_536)
    const buf = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0
      x ^= x >>> 17
      x ^= x << 5; x >>>= 0
      buf[i] = x & 0xff
    }
    left -= n
    yield buf
  }
}
