import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { UnixFS } from 'ipfs-unixfs'
import { describe, expect, it } from 'vitest'
import { AbortError } from '../../../src/core/errors.js'
import * as addErrors from '../../../src/ipfs/add/errors.js'
import { addAll, addBytes, AddReadError, InvalidAddEntryError, UnknownProfileError } from '../../../src/ipfs/add/index.js'
import * as carErrors from '../../../src/ipfs/car/errors.js'
import * as pinErrors from '../../../src/ipfs/pins/errors.js'
import * as fileErrors from '../../../src/node/files/errors.js'
import { text, zeros } from './helpers.js'
import type { AddProgressEvents } from '../../../src/ipfs/add/index.js'

describe('add: progress, abort, errors', () => {
  it('emits every declared event, in a sensible order, with counts that add up', async () => {
    const events: AddProgressEvents[] = []
    const roots = await addAll(new MemoryBlockstore(), [
      { path: 'd' },
      { path: 'd/a.txt', content: text('hello world\n') },
      { path: 'd/sub/b.bin', content: zeros(300_000) }
    ], { onProgress: e => events.push(e) })
    const types = new Set(events.map(e => e.type))
    expect([...types].sort()).toEqual(['add:bytes', 'add:directory:done', 'add:file:done', 'add:file:start', 'add:root'])
    const last = events.filter(e => e.type === 'add:bytes').at(-1)
    expect(last?.type === 'add:bytes' && last.detail.totalBytes).toBe(12 + 300_000)
    const rootEvent = events.find(e => e.type === 'add:root')
    expect(rootEvent?.detail).toMatchObject({ name: 'd' })
    expect(events.at(-1)?.type).toBe('add:root')
    expect(roots.map(r => r.cid.toString())).toEqual([(rootEvent?.detail as { cid: { toString: () => string } }).cid.toString()])
    // Each file starts before its bytes and finishes after them.
    const idx = (type: string, path: string): number => events.findIndex(e => e.type === type && (e.detail as { path?: string }).path === path)
    expect(idx('add:file:start', 'd/sub/b.bin')).toBeLessThan(idx('add:bytes', 'd/sub/b.bin'))
    expect(idx('add:bytes', 'd/sub/b.bin')).toBeLessThan(idx('add:file:done', 'd/sub/b.bin'))
    expect(idx('add:directory:done', 'd/sub')).toBeLessThan(idx('add:directory:done', 'd'))
  })

  it('a signal aborted mid-file stops the add with AbortError', async () => {
    const controller = new AbortController()
    const err = await addBytes(new MemoryBlockstore(), zeros(50_000_000), {
      signal: controller.signal,
      onProgress: e => { if (e.type === 'add:bytes' && e.detail.totalBytes > 5_000_000) controller.abort() }
    }).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
  })

  it('an already-aborted signal writes nothing', async () => {
    const bs = new MemoryBlockstore()
    const err = await addBytes(bs, text('x'), { signal: AbortSignal.abort() }).then(() => undefined, (e: unknown) => e as Error)
    expect(err?.name).toBe('AbortError')
    let n = 0
    for await (const _ of bs.getAll()) n++
    expect(n).toBe(0)
  })

  it('onlyHash writes no block; a normal add writes them', async () => {
    const bs = new MemoryBlockstore()
    const a = await addBytes(bs, zeros(700_000), { onlyHash: true })
    expect(await bs.has(a.cid)).toBe(false)
    const b = await addBytes(bs, zeros(700_000))
    expect(b.cid.toString()).toBe(a.cid.toString())
    expect(await bs.has(b.cid)).toBe(true)
  })

  it('a read failure names the entry; bad entries and profiles are named errors', async () => {
    async function * failing (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10)
      throw new Error('disk on fire')
    }
    const err = await addAll(new MemoryBlockstore(), [{ path: 'dir/broken.bin', content: failing() }]).then(() => undefined, (e: unknown) => e as Error)
    expect(err).toBeInstanceOf(AddReadError)
    expect(err?.message).toContain('"dir/broken.bin"')
    expect(err?.message).toContain('disk on fire')

    await expect(addAll(new MemoryBlockstore(), [{ path: 'a/x', content: text('1') }, { path: 'a/x', content: text('2') }])).rejects.toThrow(InvalidAddEntryError)
    await expect(addAll(new MemoryBlockstore(), [{ path: 'a', content: text('1') }, { path: 'a/x', content: text('2') }])).rejects.toThrow(InvalidAddEntryError)
    await expect(addBytes(new MemoryBlockstore(), text('x'), { profile: 'v2' as 'unixfs-v1-2025' })).rejects.toThrow(UnknownProfileError)
  })

  it('mode and mtime are stored only when given (and then change the CID)', async () => {
    const plain = await addAll(new MemoryBlockstore(), [{ path: 'f', content: text('m') }])
    const withMode = await addAll(new MemoryBlockstore(), [{ path: 'f', content: text('m'), mode: 0o600, mtime: { secs: 1_700_000_000n } }])
    expect(withMode[0]?.cid.toString()).not.toBe(plain[0]?.cid.toString())
    const bs = new MemoryBlockstore()
    const [root] = await addAll(bs, [{ path: 'f', content: text('m'), mode: 0o600 }])
    const parts: Uint8Array[] = []
    for await (const p of bs.get(root!.cid)) parts.push(p)
    const fs = UnixFS.unmarshal(dagPb.decode(Buffer.concat(parts)).Data ?? new Uint8Array())
    expect(fs.mode).toBe(0o600)
  })

  it('every error class has name equal to its class name and an ERR_ code', () => {
    for (const mod of [addErrors, carErrors, pinErrors, fileErrors]) {
      for (const [exported, Klass] of Object.entries(mod)) {
        const err = new (Klass as new (...args: unknown[]) => Error & { code: string })('m', 'x', 0)
        expect(err.name).toBe(exported)
        expect(err.code).toMatch(/^ERR_/)
      }
    }
  })
})

describe('add: memory stays bounded', () => {
  it('a 2 GiB + 1 byte file streams through with a flat heap', async () => {
    const length = 2 * 1024 * 1024 * 1024 + 1
    const before = process.memoryUsage()
    let peak = Number.NEGATIVE_INFINITY
    let samples = 0
    const bs = new MemoryBlockstore() // zero leaves are identical, so the store itself stays tiny
    const root = await addBytes(bs, zeros(length), {
      profile: 'unixfs-v1-2025',
      onProgress: e => {
        if (e.type === 'add:bytes' && e.detail.fileBytes % (64 * 1024 * 1024) < 1024 * 1024) {
          const m = process.memoryUsage()
          samples++
          peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers)
        }
      }
    })
    const parts: Uint8Array[] = []
    for await (const p of bs.get(root.cid)) parts.push(p)
    const node = UnixFS.unmarshal(dagPb.decode(Buffer.concat(parts)).Data ?? new Uint8Array())
    expect(node.fileSize()).toBe(BigInt(length))
    // growth can be negative when GC runs between the baseline and a sample; what matters is that
    // we sampled all along the file and never grew by anything near the file's size
    expect(samples).toBeGreaterThanOrEqual(16)
    expect(peak).toBeLessThan(256 * 1024 * 1024)
  }, 300_000)
})
