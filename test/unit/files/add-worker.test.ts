/**
 * The add worker itself (its message protocol), run in Node on an in-memory IndexedDB: an add
 * stores the DAG and pins every root before it says done; a cancel pins nothing and leaves only
 * unpinned blocks for GC; the page's Helia, opened afterwards on the same databases, agrees.
 */
import 'fake-indexeddb/auto'
import { IDBBlockstore } from 'blockstore-idb'
import { IDBDatastore } from 'datastore-idb'
import { createHeliaLight } from 'helia'
import { CID } from 'multiformats/cid'
import { beforeAll, describe, expect, it } from 'vitest'
import { walkDag } from '../../../src/ipfs/car/walk.js'
import { collectGarbage, listPins } from '../../../src/ipfs/pins/index.js'
import type { AddWorkerRequest, AddWorkerResponse } from '../../../src/workers/add-protocol.js'
import type { Helia } from '@helia/interface'

const listeners: Array<(e: MessageEvent<AddWorkerRequest>) => void> = []
const messages: AddWorkerResponse[] = []
let waiting: Array<() => void> = []

beforeAll(async () => {
  // The worker's globals: it listens with addEventListener('message') and answers with postMessage.
  const g = globalThis as unknown as Record<string, unknown>
  g.addEventListener = (type: string, fn: (e: MessageEvent<AddWorkerRequest>) => void) => { if (type === 'message') listeners.push(fn) }
  g.postMessage = (m: AddWorkerResponse) => {
    messages.push(structuredClone(m))
    const w = waiting
    waiting = []
    for (const f of w) f()
  }
  await import('../../../src/workers/add-worker.js')
})

function send (msg: AddWorkerRequest): void {
  for (const l of listeners) l({ data: msg } as MessageEvent<AddWorkerRequest>)
}

async function until (id: number, pred: (m: AddWorkerResponse) => boolean = m => m.type !== 'progress'): Promise<AddWorkerResponse> {
  for (;;) {
    const m = messages.find(x => x.id === id && pred(x))
    if (m !== undefined) return m
    await new Promise<void>(resolve => { waiting.push(resolve) })
  }
}

function bytes (n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

async function openHelia (n: number): Promise<{ helia: Helia, close: () => Promise<void> }> {
  const blockstore = new IDBBlockstore(`w${n}/blocks`)
  const datastore = new IDBDatastore(`w${n}/data`)
  await Promise.all([blockstore.open(), datastore.open()])
  const helia = createHeliaLight({ blockstore, datastore })
  await helia.start()
  return { helia, close: async () => { await helia.stop(); await Promise.all([blockstore.close(), datastore.close()]) } }
}

describe('add worker', () => {
  it('stores and pins every root (files and a folder) before it says done', async () => {
    send({
      type: 'add',
      id: 1,
      blockstoreName: 'w1/blocks',
      pinDatastoreName: 'w1/data',
      profile: 'unixfs-v0-2015',
      entries: [
        { path: 'one.bin', file: new File([bytes(700_000, 1) as Uint8Array<ArrayBuffer>], 'one.bin') },
        { path: 'album/a.txt', file: new File(['hello'], 'a.txt') },
        { path: 'album/sub/b.bin', file: new File([bytes(300_000, 2) as Uint8Array<ArrayBuffer>], 'b.bin') },
        { path: 'album/empty' }
      ]
    })
    const done = await until(1)
    if (done.type !== 'done') throw new Error(JSON.stringify(done))
    expect(done.roots.map(r => [r.name, r.pinned])).toEqual([['one.bin', true], ['album', true]])

    const { helia, close } = await openHelia(1)
    try {
      const pins = []
      for await (const p of listPins(helia)) pins.push(p)
      expect(pins.map(p => p.metadata.name).sort()).toEqual(['album', 'one.bin'])
      for (const r of done.roots) {
        for await (const b of walkDag(helia.blockstore, CID.parse(r.cid))) expect(await helia.pins.isPinned(b.cid)).toBe(true)
      }
      expect(await collectGarbage(helia)).toEqual({ blocks: 0, bytes: 0 })
    } finally {
      await close()
    }
  })

  it('a cancel pins nothing; GC then removes every block it wrote', async () => {
    send({
      type: 'add',
      id: 2,
      blockstoreName: 'w2/blocks',
      pinDatastoreName: 'w2/data',
      profile: 'unixfs-v1-2025',
      entries: [{ path: 'big.bin', file: new File([bytes(12_000_000, 3) as Uint8Array<ArrayBuffer>], 'big.bin') }]
    })
    await until(2, m => m.type === 'progress' && m.event.type === 'add:bytes' && m.event.detail.totalBytes > 6_000_000)
    send({ type: 'abort', id: 2 })
    const end = await until(2)
    expect(end.type).toBe('error')
    expect(end.type === 'error' && end.error.name).toBe('AbortError')

    const { helia, close } = await openHelia(2)
    try {
      const pins = []
      for await (const p of listPins(helia)) pins.push(p)
      expect(pins).toEqual([])
      let written = 0
      for await (const _ of helia.blockstore.getAll()) written++
      // Whatever was written (blocks are written behind the importer, so maybe none yet) is unpinned.
      expect((await collectGarbage(helia)).blocks).toBe(written)
      let left = 0
      for await (const _ of helia.blockstore.getAll()) left++
      expect(left).toBe(0)
    } finally {
      await close()
    }
  })

  // Item 1 of issue #15: an add once stored about 1.9× its bytes, because each block was a view
  // into a larger buffer and IndexedDB keeps a view's whole buffer (structured clone).
  for (const [id, profile] of [[3, 'unixfs-v0-2015'], [4, 'unixfs-v1-2025']] as const) {
    it(`an add of 8 MiB (${profile}) stores about 8 MiB: each stored value is its block's own bytes`, async () => {
      const size = 8 * 1024 * 1024
      // Reads larger than a chunk, which the importer cuts blocks out of as views (Node's
      // File.stream() gives 64 KiB reads, which never show the bug; the 1.9× was seen in Chromium).
      const parts: Uint8Array[] = []
      for (let o = 0; o < size; o += 3_000_017) parts.push(bytes(Math.min(3_000_017, size - o), 10 + o))
      const file = new File(parts as Array<Uint8Array<ArrayBuffer>>, 'data.bin')
      Object.defineProperty(file, 'stream', {
        value: () => {
          let i = 0
          return new ReadableStream<Uint8Array>({ pull (c) { const p = parts[i++]; if (p === undefined) c.close(); else c.enqueue(p) } })
        }
      })
      send({
        type: 'add',
        id,
        blockstoreName: `w${id}/blocks`,
        pinDatastoreName: `w${id}/data`,
        profile,
        entries: [{ path: 'data.bin', file }]
      })
      const done = await until(id)
      if (done.type !== 'done') throw new Error(JSON.stringify(done))
      // What IndexedDB holds: every raw value, counted with the whole buffer it keeps.
      const name = `w${id}/blocks`
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
      const viewed = values.reduce<number>((n, v) => n + (v as Uint8Array).byteLength, 0)
      const kept = values.reduce<number>((n, v) => n + (v as Uint8Array).buffer.byteLength, 0)
      // The DAG holds the file's bytes plus a little framing (dag-pb leaves, the root's links).
      expect(viewed).toBeGreaterThanOrEqual(size)
      expect(kept).toBe(viewed)
      expect(kept / size).toBeLessThan(1.05)
    })
  }
})
