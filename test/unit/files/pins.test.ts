import { describe, expect, it } from 'vitest'
import { AbortError } from '../../../src/core/errors.js'
import { addAll } from '../../../src/ipfs/add/index.js'
import { walkDag } from '../../../src/ipfs/car/walk.js'
import { addAndPin, collectGarbage, isPinned, listPins, NotPinnedError, pin, PinBlockMissingError, unpin } from '../../../src/ipfs/pins/index.js'
import { useTestNodes, pseudoRandom } from './node.js'
import { text, zeros } from './helpers.js'
import type { MemoryBlockstore } from 'blockstore-core/memory'
import type { CID } from 'multiformats/cid'

const node = useTestNodes()

/** Blocks and bytes of a DAG, read straight from the memory store (never the network). */
async function dagStats (store: MemoryBlockstore, root: CID): Promise<{ blocks: number, bytes: number }> {
  let blocks = 0
  let bytes = 0
  for await (const b of walkDag(store, root)) {
    blocks++
    bytes += b.bytes.byteLength
  }
  return { blocks, bytes }
}

async function storedBlocks (store: MemoryBlockstore): Promise<number> {
  let n = 0
  for await (const _ of store.getAll()) n++
  return n
}

describe('pins', () => {
  it('pin, list, unpin round trip; pinning twice is harmless; unpinning twice is a named error', async () => {
    const { helia } = await node()
    const [root] = await addAll(helia.blockstore, [{ path: 'big.bin', content: pseudoRandom(600_000) }])
    if (root === undefined) throw new Error('no root')
    const first = await pin(helia, root.cid, { metadata: { name: 'big.bin' } })
    expect(first.alreadyPinned).toBe(false)
    expect(first.blocks).toBe(4) // 3 leaves of 256 KiB or less + 1 root
    expect(await isPinned(helia, root.cid)).toBe(true)
    expect((await pin(helia, root.cid)).alreadyPinned).toBe(true)
    const pins = []
    for await (const p of listPins(helia)) pins.push(p)
    expect(pins).toHaveLength(1)
    expect(pins[0]?.cid.multihash.bytes).toEqual(root.cid.multihash.bytes)
    expect(pins[0]?.metadata).toEqual({ name: 'big.bin' })
    expect((await unpin(helia, root.cid)).blocks).toBe(4)
    expect(await isPinned(helia, root.cid)).toBe(false)
    await expect(unpin(helia, root.cid)).rejects.toThrow(NotPinnedError)
  })

  it('refuses to pin an incomplete DAG, naming the missing block, and marks nothing', async () => {
    const { helia, blockstore } = await node()
    const [root] = await addAll(helia.blockstore, [{ path: 'big.bin', content: pseudoRandom(600_000) }])
    if (root === undefined) throw new Error('no root')
    const leaves = []
    for await (const b of walkDag(blockstore, root.cid)) leaves.push(b.cid)
    const victim = leaves[2]
    if (victim === undefined) throw new Error('no leaf')
    await blockstore.delete(victim)
    const err = await pin(helia, root.cid).then(() => undefined, (e: unknown) => e as Error)
    expect(err).toBeInstanceOf(PinBlockMissingError)
    expect(err?.message).toContain(victim.toString())
    expect(await helia.pins.isPinned(root.cid)).toBe(false)
    expect(await helia.pins.isPinned(leaves[1] as CID)).toBe(false)
  })
})

describe('unpin', () => {
  it('releases each block once, and only for its own root (repeated chunks, a chunk shared with another pin)', async () => {
    const { helia, blockstore } = await node()
    // 2 MB of zeros: eight identical 256 KiB leaves; the second pin shares that leaf.
    const [zeros8] = await addAndPin(helia, [{ path: 'zeros8', content: zeros(2_000_000) }])
    const [zeros1] = await addAndPin(helia, [{ path: 'zeros1', content: zeros(262_144) }])
    if (zeros8 === undefined || zeros1 === undefined) throw new Error('no roots')
    const kept = await dagStats(blockstore, zeros1.cid)
    const unique = async (root: CID): Promise<Map<string, number>> => {
      const m = new Map<string, number>()
      for await (const b of walkDag(blockstore, root)) m.set(b.cid.toString(), b.bytes.byteLength)
      return m
    }
    const [all8, all1] = [await unique(zeros8.cid), await unique(zeros1.cid)]
    expect(all8.size).toBe(3) // root, the full zero leaf (eight times), the short last leaf
    expect([...all1.keys()].every(k => all8.has(k))).toBe(true) // zeros1 is that full leaf
    const onlyIn8 = [...all8].filter(([k]) => !all1.has(k))
    expect((await unpin(helia, zeros8.cid)).blocks).toBe(3)
    expect(await collectGarbage(helia)).toEqual({ blocks: onlyIn8.length, bytes: onlyIn8.reduce((a, [, n]) => a + n, 0) })
    expect(await dagStats(blockstore, zeros1.cid)).toEqual(kept)
    expect(await helia.pins.isPinned(zeros1.cid)).toBe(true)
    await unpin(helia, zeros1.cid)
    expect(await collectGarbage(helia)).toEqual(kept)
    expect(await storedBlocks(blockstore)).toBe(0)
  })

  it('a CIDv0 pin is removed by its CIDv1 too, releasing every block', async () => {
    const { helia, blockstore } = await node()
    const [root] = await addAndPin(helia, [{ path: 'f', content: pseudoRandom(600_000, 11) }])
    if (root === undefined) throw new Error('no root')
    expect(root.cid.version).toBe(0)
    const stats = await dagStats(blockstore, root.cid)
    expect((await unpin(helia, root.cid.toV1())).blocks).toBe(stats.blocks)
    expect(await collectGarbage(helia)).toEqual(stats)
  })
})

describe('garbage collection', () => {
  it('frees only unpinned blocks and reports exactly what it freed', async () => {
    const { helia, blockstore } = await node()
    const [kept] = await addAndPin(helia, [{ path: 'kept.bin', content: pseudoRandom(700_000, 7) }])
    const [dropped] = await addAll(helia.blockstore, [{ path: 'dropped', content: pseudoRandom(900_000, 9) }], { profile: 'unixfs-v1-2025' })
    if (kept === undefined || dropped === undefined) throw new Error('no roots')
    const keptStats = await dagStats(blockstore, kept.cid)
    const droppedStats = await dagStats(blockstore, dropped.cid)
    expect(await storedBlocks(blockstore)).toBe(keptStats.blocks + droppedStats.blocks)

    const deleted: CID[] = []
    const freed = await collectGarbage(helia, { onProgress: e => { if (e.type === 'gc:deleted') deleted.push(e.detail.cid) } })
    expect(freed).toEqual(droppedStats)
    expect(deleted).toHaveLength(droppedStats.blocks)
    expect(await storedBlocks(blockstore)).toBe(keptStats.blocks)
    expect(await dagStats(blockstore, kept.cid)).toEqual(keptStats)
    expect(await blockstore.has(dropped.cid)).toBe(false)

    // Nothing left to free; after unpinning, everything goes.
    expect(await collectGarbage(helia)).toEqual({ blocks: 0, bytes: 0 })
    await unpin(helia, kept.cid)
    expect(await collectGarbage(helia)).toEqual(keptStats)
    expect(await storedBlocks(blockstore)).toBe(0)
  })

  it('never collects an add that runs concurrently, and never a pinned block', async () => {
    const { helia, blockstore } = await node()
    const [old] = await addAndPin(helia, [{ path: 'old', content: pseudoRandom(300_000, 3) }])
    const [garbage] = await addAll(helia.blockstore, [{ path: 'garbage', content: pseudoRandom(300_000, 4) }])
    if (old === undefined || garbage === undefined) throw new Error('no roots')
    const garbageStats = await dagStats(blockstore, garbage.cid)

    const order: string[] = []
    let gcStarted: Promise<unknown> | undefined
    const adding = addAndPin(helia, [{ path: 'new', content: pseudoRandom(8_000_000, 5) }], {
      onProgress: e => {
        // Start a GC while the add is part-way through writing blocks.
        if (e.type === 'add:bytes' && e.detail.totalBytes >= 2_000_000 && gcStarted === undefined) {
          gcStarted = collectGarbage(helia).then(r => { order.push('gc'); return r })
        }
      }
    }).then(r => { order.push('add'); return r })
    const [added] = await adding
    const freed = await gcStarted
    if (added === undefined) throw new Error('no root')
    expect(gcStarted).toBeDefined()
    expect(order).toEqual(['add', 'gc'])
    // The GC freed exactly the old unpinned garbage, nothing of the new add, nothing pinned.
    expect(freed).toEqual(garbageStats)
    expect((await dagStats(blockstore, added.cid)).blocks).toBeGreaterThan(30)
    expect(await isPinned(helia, added.cid)).toBe(true)
    expect((await dagStats(blockstore, old.cid)).blocks).toBeGreaterThan(1)
  })

  it('a cancelled add pins nothing, and GC then removes what it had written', async () => {
    const { helia, blockstore } = await node()
    const controller = new AbortController()
    const err = await addAndPin(helia, [{ path: 'x', content: pseudoRandom(6_000_000, 6) }], {
      signal: controller.signal,
      onProgress: e => { if (e.type === 'add:bytes' && e.detail.totalBytes >= 3_500_000) controller.abort() }
    }).catch(e => e as Error)
    expect(err).toBeInstanceOf(AbortError)
    const pins = []
    for await (const p of listPins(helia)) pins.push(p)
    expect(pins).toEqual([])
    const written = await storedBlocks(blockstore)
    expect(written).toBeGreaterThan(0)
    const freed = await collectGarbage(helia)
    expect(freed.blocks).toBe(written)
    expect(await storedBlocks(blockstore)).toBe(0)
  })

  it('add with the same content twice pins once and stays consistent', async () => {
    const { helia } = await node()
    const a = await addAndPin(helia, [{ path: 'a.txt', content: text('same') }])
    const b = await addAndPin(helia, [{ path: 'b.txt', content: text('same') }])
    expect(a[0]?.cid.toString()).toBe(b[0]?.cid.toString())
    expect(await collectGarbage(helia)).toEqual({ blocks: 0, bytes: 0 })
  })
})
