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
})
