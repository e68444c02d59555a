/**
 * Batched unpin and garbage collection (`openIdbBatchStores`), in Node on an in-memory IndexedDB
 * (fake-indexeddb), against the databases a Helia node opens: a block shared between a kept pin
 * and an unpinned folder survives, GC frees exactly the unheld blocks (and their bytes), a block
 * pinned after the mark set was taken survives, and a range never deletes a block it did not list.
 */
import 'fake-indexeddb/auto'
import { IDBBlockstore } from 'blockstore-idb'
import { IDBDatastore } from 'datastore-idb'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { addAll } from '../../../src/ipfs/add/index.js'
import { walkDag } from '../../../src/ipfs/car/walk.js'
import { collectGarbage, DagTracker, isPinned, openIdbBatchStores, pinMany, unpin } from '../../../src/ipfs/pins/index.js'
import { openIdbPinRecords } from '../../../src/ipfs/pins/idb-pin-records.js'
import { BatchedIdbWriter } from '../../../src/workers/batched-blockstore.js'
import { text } from './helpers.js'
import type { BatchStores } from '../../../src/ipfs/pins/index.js'
import type { AddEntry, ProfileName } from '../../../src/ipfs/add/index.js'
import type { Helia } from '@helia/interface'

let dbCount = 0
function freshNames (): { blockstoreName: string, datastoreName: string } {
  dbCount++
  return { blockstoreName: `bgc${dbCount}/blocks`, datastoreName: `bgc${dbCount}/data` }
}

/** As the add worker: batched writes, then every root pinned from the blocks written. */
async function workerAdd (names: { blockstoreName: string, datastoreName: string }, entries: AddEntry[], profile: ProfileName): Promise<CID> {
  const writer = await BatchedIdbWriter.open(names.blockstoreName)
  const session = writer.session()
  const tracker = new DagTracker()
  const [root] = await addAll(tracker.wrap(session), entries, { profile })
  await session.drain()
  writer.close()
  const records = await openIdbPinRecords(names.datastoreName)
  await pinMany(records, [{ root: root!.cid, blockKeys: tracker.blocksOf(root!.cid)!, metadata: { name: root!.name } }])
  records.close()
  return root!.cid
}

async function openNode (names: { blockstoreName: string, datastoreName: string }): Promise<{ helia: Helia, close: () => Promise<void> }> {
  const blockstore = new IDBBlockstore(names.blockstoreName)
  const datastore = new IDBDatastore(names.datastoreName)
  await Promise.all([blockstore.open(), datastore.open()])
  const helia = createHeliaLight({ blockstore, datastore })
  await helia.start()
  return { helia, close: async () => { await helia.stop(); await Promise.all([blockstore.close(), datastore.close()]) } }
}

async function dag (helia: Helia, root: CID): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for await (const b of walkDag(helia.blockstore, root)) out.set(Buffer.from(b.cid.multihash.bytes).toString('hex'), b.bytes.byteLength)
  return out
}

async function blockCount (helia: Helia): Promise<number> {
  let n = 0
  for await (const _ of helia.blockstore.getAll()) n++
  return n
}

/** A folder of `n` small files; file 0 has the same content in every folder (a shared block). */
function folder (name: string, n: number): AddEntry[] {
  const out: AddEntry[] = [{ path: `${name}/shared.txt`, content: text('the same in every folder\n') }]
  for (let i = 1; i < n; i++) out.push({ path: `${name}/f${i}.txt`, content: text(`${name} file ${i}\n`.repeat(20)) })
  return out
}

async function loose (helia: Helia, seed: number): Promise<CID> {
  const bytes = new TextEncoder().encode(`loose block ${seed}`)
  return helia.blockstore.put(CID.createV1(raw.code, await sha256.digest(bytes)), bytes)
}

describe('batched unpin and GC (IndexedDB)', () => {
  for (const profile of ['unixfs-v0-2015', 'unixfs-v1-2025'] as const) {
    for (const walk of [false, true]) {
      it(`${profile}${walk ? ', unpin by DAG walk' : ', unpin by record scan'}: a block shared with a kept pin survives; GC frees exactly the rest`, async () => {
        const names = freshNames()
        const kept = await workerAdd(names, folder('kept', 5), profile)
        const gone = await workerAdd(names, folder('gone', 300), profile)
        const node = await openNode(names)
        const stores = await openIdbBatchStores(names)
        // Above the scan limit, unpin walks the DAG (batched reads) instead.
        const used: BatchStores = walk ? { blocks: stores.blocks, records: { ...stores.records, count: async () => Number.MAX_SAFE_INTEGER } } : stores
        try {
          const keptDag = await dag(node.helia, kept)
          const goneDag = await dag(node.helia, gone)
          const shared = [...goneDag.keys()].filter(k => keptDag.has(k))
          expect(shared.length).toBeGreaterThan(0)
          const l1 = await loose(node.helia, 1)
          const before = await blockCount(node.helia)

          const { blocks } = await unpin(node.helia, gone, { stores: used })
          expect(blocks).toBe(goneDag.size)
          expect(await isPinned(node.helia, gone)).toBe(false)
          expect(await isPinned(node.helia, kept)).toBe(true)

          const onlyGone = [...goneDag].filter(([k]) => !keptDag.has(k))
          const freed = await collectGarbage(node.helia, { stores: used })
          expect(freed).toEqual({ blocks: onlyGone.length + 1, bytes: onlyGone.reduce((s, [, b]) => s + b, 0) + 'loose block 1'.length })
          expect(await blockCount(node.helia)).toBe(before - onlyGone.length - 1)
          expect(await node.helia.blockstore.has(l1)).toBe(false)
          // The kept folder is whole and every block still marked, the shared one included.
          for await (const b of walkDag(node.helia.blockstore, kept)) expect(await node.helia.pins.isPinned(b.cid)).toBe(true)
          expect(await collectGarbage(node.helia, { stores: used })).toEqual({ blocks: 0, bytes: 0 })
        } finally {
          stores.close()
          await node.close()
        }
      })
    }
  }

  it('blocks pinned but missing from a stale mark set survive, and a block written after the listing is not deleted by a range', async () => {
    const names = freshNames()
    const kept = await workerAdd(names, folder('kept', 50), 'unixfs-v1-2025')
    const gone = await workerAdd(names, folder('gone', 200), 'unixfs-v1-2025')
    const node = await openNode(names)
    const stores = await openIdbBatchStores(names)
    try {
      await unpin(node.helia, gone, { stores })
      const goneDag = await dag(node.helia, gone)
      const keptDag = await dag(node.helia, kept)
      const onlyGone = [...goneDag.keys()].filter(k => !keptDag.has(k))
      // The first mark set is stale (empty: as if every pin came after it); the marks read again
      // before deleting must keep the kept folder.
      let first = true
      let late: CID | undefined
      const records: BatchStores['records'] = {
        ...stores.records,
        keys: async (prefix) => {
          if (!first) return stores.records.keys(prefix)
          first = false
          await stores.records.keys(prefix)
          return []
        }
      }
      const blocks: BatchStores['blocks'] = {
        ...stores.blocks,
        allMultihashes: async () => {
          const listed = await stores.blocks.allMultihashes()
          // Written after the listing: unknown to this collection, so never deleted by it.
          late = await loose(node.helia, 2)
          // Pinned after the listing (and after the first mark set).
          const lateRoot = await workerAdd(names, [{ path: 'late/a.txt', content: text('late') }], 'unixfs-v1-2025')
          expect(await isPinned(node.helia, lateRoot)).toBe(true)
          return listed
        }
      }
      const keptBefore = await blockCount(node.helia)
      const freed = await collectGarbage(node.helia, { stores: { blocks, records } })
      expect(freed.blocks).toBe(onlyGone.length)
      expect(await node.helia.blockstore.has(late!)).toBe(true)
      // What was there, less the unpinned folder's own blocks, plus the late loose block and the late folder's two.
      expect(await blockCount(node.helia)).toBe(keptBefore - onlyGone.length + 3)
      for await (const b of walkDag(node.helia.blockstore, kept)) expect(await node.helia.pins.isPinned(b.cid)).toBe(true)
    } finally {
      stores.close()
      await node.close()
    }
  })
})
