/**
 * The add worker's block writer on an in-memory IndexedDB: puts resolve before their commit
 * (written behind), `drain` waits for every commit, memory in flight stays bounded, and a failed
 * write fails the session instead of being lost.
 */
import 'fake-indexeddb/auto'
import { IDBBlockstore } from 'blockstore-idb'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { BatchedIdbWriter } from '../../../src/workers/batched-blockstore.js'

async function block (i: number, size: number): Promise<{ cid: CID, bytes: Uint8Array }> {
  const bytes = new Uint8Array(size).fill(i & 0xff)
  new DataView(bytes.buffer).setUint32(0, i)
  return { cid: CID.createV1(raw.code, await sha256.digest(bytes)), bytes }
}

describe('BatchedIdbWriter', () => {
  it('every block is readable through blockstore-idb after drain; buffered bytes stay under the limit', async () => {
    const name = 'writer-test/blocks'
    const writer = await BatchedIdbWriter.open(name, { maxBatch: 8, maxBatchBytes: 64 * 1024, maxBufferedBytes: 256 * 1024 })
    const session = writer.session()
    const blocks = await Promise.all(Array.from({ length: 200 }, async (_, i) => block(i, 16 * 1024)))
    let maxBuffered = 0
    const internals = session as unknown as { pendingBytes: number, inflightBytes: number }
    // Eight puts at a time, as the importer does.
    for (let i = 0; i < blocks.length; i += 8) {
      await Promise.all(blocks.slice(i, i + 8).map(async b => session.put(b.cid, b.bytes)))
      maxBuffered = Math.max(maxBuffered, internals.pendingBytes + internals.inflightBytes)
    }
    await session.drain()
    expect(internals.pendingBytes + internals.inflightBytes).toBe(0)
    expect(maxBuffered).toBeLessThanOrEqual(256 * 1024 + 16 * 1024)
    writer.close()

    const store = new IDBBlockstore(name)
    await store.open()
    for (const b of blocks) {
      const parts: Uint8Array[] = []
      for await (const c of store.get(b.cid)) parts.push(c)
      expect(Buffer.concat(parts).equals(Buffer.from(b.bytes))).toBe(true)
    }
    await store.close()
  })

  it('a write that cannot happen fails the session (put or drain rejects), never silently', async () => {
    const writer = await BatchedIdbWriter.open('writer-test/closed')
    const session = writer.session()
    writer.close()
    const b = await block(1, 100)
    const err = await session.put(b.cid, b.bytes).then(async () => session.drain()).then(() => undefined, (e: unknown) => e as Error)
    expect(err).toBeInstanceOf(Error)
    // The next session of another writer is not affected by this one's failure.
    const other = (await BatchedIdbWriter.open('writer-test/closed')).session()
    await other.put(b.cid, b.bytes)
    await other.drain()
  })

  it('stores each block\'s own bytes, not the larger buffer a view points into', async () => {
    const name = 'writer-test/views'
    const writer = await BatchedIdbWriter.open(name)
    const session = writer.session()
    // An importer hands out blocks as views into one big chunk buffer.
    const chunk = new Uint8Array(1024 * 1024).map((_, i) => i * 7)
    const views = [chunk.subarray(0, 1000), chunk.subarray(4096, 8192), chunk.subarray(500_000, 700_000)]
    const cids = await Promise.all(views.map(async v => CID.createV1(raw.code, await sha256.digest(v))))
    for (let i = 0; i < views.length; i++) await session.put(cids[i] as CID, views[i] as Uint8Array)
    await session.drain()
    writer.close()
    // Read the raw values back: each is exactly its block's size, buffer included.
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, 1)
      req.onsuccess = () => { resolve(req.result) }
      req.onerror = () => { reject(req.error ?? new Error('open failed')) }
    })
    const values = await new Promise<unknown[]>((resolve, reject) => {
      const req = db.transaction(name).objectStore(name).getAll()
      req.onsuccess = () => { resolve(req.result as unknown[]) }
      req.onerror = () => { reject(req.error ?? new Error('read failed')) }
    })
    db.close()
    const stored = values.map(v => (v as Uint8Array).buffer.byteLength).sort((a, b) => a - b)
    const sizes = views.map(v => v.byteLength).sort((a, b) => a - b)
    expect(stored).toEqual(sizes)
    expect(stored.reduce((a, b) => a + b, 0)).toBe(sizes.reduce((a, b) => a + b, 0))
  })
})
