/**
 * The add worker's path, in Node on an in-memory IndexedDB (fake-indexeddb): blocks through the
 * batched writer, roots pinned from the recorded block list straight into datastore-idb's
 * database. Then Helia, opened on the same databases (as after a reload), must see exactly the
 * pins its own code would have written, keep every pinned block through GC, and free the rest.
 */
import 'fake-indexeddb/auto'
import { IDBBlockstore } from 'blockstore-idb'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { MemoryDatastore } from 'datastore-core/memory'
import { IDBDatastore } from 'datastore-idb'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { addAll } from '../../../src/ipfs/add/index.js'
import { walkDag } from '../../../src/ipfs/car/walk.js'
import { collectGarbage, DagTracker, isPinned, listPins, pin, pinBlocks, pinMany, pinnedBlockKey, unpin } from '../../../src/ipfs/pins/index.js'
import { openIdbPinRecords } from '../../../src/ipfs/pins/idb-pin-records.js'
import { BatchedIdbWriter } from '../../../src/workers/batched-blockstore.js'
import { pseudoRandom } from './node.js'
import { text, zeros } from './helpers.js'
import type { AddEntry, ProfileName } from '../../../src/ipfs/add/index.js'
import type { Helia } from '@helia/interface'

let dbCount = 0

interface Opened { helia: Helia, blockstore: IDBBlockstore, datastore: IDBDatastore, close: () => Promise<void> }

/** A Helia on the named IndexedDB databases, as the page opens it. */
async function openNode (names: { blocks: string, data: string }): Promise<Opened> {
  const blockstore = new IDBBlockstore(names.blocks)
  const datastore = new IDBDatastore(names.data)
  await Promise.all([blockstore.open(), datastore.open()])
  const helia = createHeliaLight({ blockstore, datastore })
  await helia.start()
  return {
    helia,
    blockstore,
    datastore,
    close: async () => { await helia.stop(); await Promise.all([blockstore.close(), datastore.close()]) }
  }
}

function freshNames (): { blocks: string, data: string } {
  dbCount++
  return { blocks: `t${dbCount}/blocks`, data: `t${dbCount}/data` }
}

/** What the add worker does: import through the batched writer, then pin each root from its blocks. */
async function workerAdd (names: { blocks: string, data: string }, entries: AddEntry[], profile: ProfileName): Promise<Array<{ cid: CID, name: string, blocks: number }>> {
  const writer = await BatchedIdbWriter.open(names.blocks, { maxBatch: 16, maxBufferedBytes: 1024 * 1024 })
  const session = writer.session()
  const tracker = new DagTracker()
  const roots = await addAll(tracker.wrap(session), entries, { profile })
  await session.drain()
  writer.close()
  const records = await openIdbPinRecords(names.data)
  try {
    const out = []
    for (const r of roots) {
      const blocks = tracker.blocksOf(r.cid)
      if (blocks === undefined) throw new Error(`no block list for ${r.cid}`)
      const res = await pinBlocks(records, r.cid, blocks, { metadata: { name: r.name } })
      out.push({ cid: r.cid, name: r.name, blocks: res.blocks })
    }
    return out
  } finally {
    records.close()
  }
}

async function dagCids (helia: Helia, root: CID): Promise<CID[]> {
  const out = new Map<string, CID>()
  for await (const b of walkDag(helia.blockstore, root)) out.set(pinnedBlockKey(b.cid), b.cid)
  return [...out.values()]
}

async function allRecords (datastore: { query: IDBDatastore['query'] }): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for await (const { key, value } of datastore.query({})) {
    const k = key.toString()
    if (k.startsWith('/pin/') || k.startsWith('/pinned-block/')) out.set(k, Buffer.from(value).toString('hex'))
  }
  return out
}

async function countBlocks (helia: Helia): Promise<number> {
  let n = 0
  for await (const _ of helia.blockstore.getAll()) n++
  return n
}

function folder (seed: number): AddEntry[] {
  return [
    { path: 'album/readme.txt', content: text(`hello ${seed}\n`) },
    { path: 'album/empty.txt', content: [] },
    { path: 'album/sub/data.bin', content: pseudoRandom(700_000, seed) },
    { path: 'album/sub/zeros.bin', content: zeros(1_500_000) }
  ]
}

describe('pins written by the add worker (IndexedDB)', () => {
  for (const profile of ['unixfs-v0-2015', 'unixfs-v1-2025'] as const) {
    it(`${profile}: the same records Helia writes, pins survive a reopen, GC keeps pinned blocks and frees the rest`, async () => {
      const names = freshNames()
      const [root] = await workerAdd(names, folder(1), profile)
      if (root === undefined) throw new Error('no root')

      // Helia's own pins.add over the same DAG writes byte-identical records.
      const reference = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() })
      await reference.start()
      await addAll(reference.blockstore, folder(1), { profile })
      await pin(reference, root.cid, { metadata: { name: 'album' } })

      // "Reload": a new Helia on the same databases.
      let node = await openNode(names)
      try {
        expect(await allRecords(node.datastore)).toEqual(await allRecords(reference.datastore as unknown as IDBDatastore))
        const dag = await dagCids(node.helia, root.cid)
        expect(root.blocks).toBe(dag.length)
        for (const c of dag) expect(await node.helia.pins.isPinned(c), `${c} pinned`).toBe(true)
        const pins = []
        for await (const p of listPins(node.helia)) pins.push(p)
        expect(pins.map(p => [p.cid.toString(), p.metadata])).toEqual([[root.cid.toV1().toString(), { name: 'album' }]])
        await expect(node.helia.blockstore.delete(root.cid)).rejects.toThrow()

        const looseBytes = new Uint8Array([1, 2, 3])
        const loose = await node.helia.blockstore.put(CID.createV1(raw.code, await sha256.digest(looseBytes)), looseBytes)
        const freed = await collectGarbage(node.helia)
        expect(freed.blocks).toBe(1)
        expect(await node.helia.blockstore.has(loose)).toBe(false)
        expect(await countBlocks(node.helia)).toBe(dag.length)
        await node.close()

        // Reopen again: still pinned and whole; unpinning releases every block, and GC frees them.
        node = await openNode(names)
        expect(await isPinned(node.helia, root.cid)).toBe(true)
        expect((await dagCids(node.helia, root.cid)).length).toBe(dag.length)
        await unpin(node.helia, root.cid)
        expect(await allRecords(node.datastore)).toEqual(new Map())
        expect((await collectGarbage(node.helia)).blocks).toBe(dag.length)
        expect(await countBlocks(node.helia)).toBe(0)
      } finally {
        await node.close()
        await reference.stop()
      }
    })
  }

  it('two adds sharing blocks: unpinning one keeps the other whole through GC; pinning twice is a no-op', async () => {
    const names = freshNames()
    const [a] = await workerAdd(names, [{ path: 'a.bin', content: zeros(2_000_000) }], 'unixfs-v0-2015')
    const [b] = await workerAdd(names, [{ path: 'dir/b.bin', content: zeros(2_000_000) }, { path: 'dir/c.txt', content: text('c') }], 'unixfs-v0-2015')
    if (a === undefined || b === undefined) throw new Error('no roots')
    const records = await openIdbPinRecords(names.data)
    expect((await pinBlocks(records, a.cid, [pinnedBlockKey(a.cid)])).alreadyPinned).toBe(true)
    records.close()
    const node = await openNode(names)
    try {
      const before = await countBlocks(node.helia)
      await unpin(node.helia, a.cid)
      expect(await collectGarbage(node.helia)).toEqual({ blocks: 0, bytes: 0 }) // every block of a is also in b
      expect(await countBlocks(node.helia)).toBe(before)
      for (const c of await dagCids(node.helia, b.cid)) expect(await node.helia.pins.isPinned(c)).toBe(true)
    } finally {
      await node.close()
    }
  })

  it('many top-level roots pinned together (small batches, a duplicate, one pinned already): the records Helia writes pinning them one by one', async () => {
    const names = freshNames()
    const entries = (): AddEntry[] => {
      const out: AddEntry[] = []
      for (let i = 0; i < 60; i++) out.push({ path: `f${i}.bin`, content: i % 10 === 0 ? zeros(300_000) : text(`file ${i}`) })
      out.push({ path: 'dir/a.txt', content: text('file 1') }, { path: 'dir/z.bin', content: zeros(300_000) })
      return out
    }
    const writer = await BatchedIdbWriter.open(names.blocks)
    const session = writer.session()
    const tracker = new DagTracker()
    const roots = await addAll(tracker.wrap(session), entries(), { profile: 'unixfs-v0-2015' })
    await session.drain()
    writer.close()
    const records = await openIdbPinRecords(names.data)
    // One pinned already, on its own.
    await pinBlocks(records, roots[5]!.cid, tracker.blocksOf(roots[5]!.cid)!, { metadata: { name: roots[5]!.name } })
    const requests = roots.map(r => ({ root: r.cid, blockKeys: tracker.blocksOf(r.cid)!, metadata: { name: r.name } }))
    const results = await pinMany(records, [...requests, requests[3]!], { batchSize: 7 })
    records.close()
    expect(results[5]?.alreadyPinned).toBe(true)
    expect(results.at(-1)?.alreadyPinned).toBe(true)
    // The zero-filled files share one CID: pinned once.
    expect(results.filter(r => !r.alreadyPinned)).toHaveLength(new Set(roots.map(r => r.cid.toString())).size - 1)

    const reference = createHeliaLight({ blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore() })
    await reference.start()
    const node = await openNode(names)
    try {
      const again = await addAll(reference.blockstore, entries(), { profile: 'unixfs-v0-2015' })
      await pin(reference, again[5]!.cid, { metadata: { name: again[5]!.name } })
      for (const r of again) await pin(reference, r.cid, { metadata: { name: r.name } })
      expect(await allRecords(node.datastore)).toEqual(await allRecords(reference.datastore as unknown as IDBDatastore))
      expect(await collectGarbage(node.helia)).toEqual({ blocks: 0, bytes: 0 })
    } finally {
      await node.close()
      await reference.stop()
    }
  })

  it('2,000 small files in a sharded folder: one pin, every block marked', async () => {
    const names = freshNames()
    const entries: AddEntry[] = []
    for (let i = 0; i < 2000; i++) entries.push({ path: `small/f${i}.bin`, content: text(`file ${i} `.repeat(50)) })
    const [root] = await workerAdd(names, entries, 'unixfs-v1-2025')
    if (root === undefined) throw new Error('no root')
    const node = await openNode(names)
    try {
      const dag = await dagCids(node.helia, root.cid)
      expect(dag.length).toBeGreaterThan(2000)
      expect(root.blocks).toBe(dag.length)
      let marked = 0
      for (const c of dag) if (await node.helia.pins.isPinned(c)) marked++
      expect(marked).toBe(dag.length)
      expect(await collectGarbage(node.helia)).toEqual({ blocks: 0, bytes: 0 })
    } finally {
      await node.close()
    }
  })
})

describe('DagTracker', () => {
  it('knows nothing of a root it did not see, and leaves out blocks written but not linked', async () => {
    const tracker = new DagTracker()
    const store = new MemoryBlockstore()
    // A single-chunk file with an mtime: the importer writes the raw leaf, then a file node with
    // the data inline, and the leaf is not part of the DAG.
    const [root] = await addAll(tracker.wrap(store), [{ path: 'f.txt', content: text('x'), mtime: { secs: 1n } }], { profile: 'unixfs-v1-2025' })
    if (root === undefined) throw new Error('no root')
    const blocks = tracker.blocksOf(root.cid)
    const dag: string[] = []
    for await (const b of walkDag(store, root.cid)) dag.push(pinnedBlockKey(b.cid))
    expect(blocks?.sort()).toEqual([...new Set(dag)].sort())
    expect(tracker.size).toBeGreaterThanOrEqual(dag.length)
    const [other] = await addAll(new MemoryBlockstore(), [{ path: 'g.txt', content: text('y') }])
    if (other === undefined) throw new Error('no root')
    expect(tracker.blocksOf(other.cid)).toBeUndefined()
  })
})
