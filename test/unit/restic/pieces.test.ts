import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MemoryBackend, MemorySink, MemorySource, Repository, backup, byobFill, findSnapshot, readPieces, restore } from '../../../src/restic/index.js'
import type { BackupSource, Fill, SourceEntry } from '../../../src/restic/index.js'
import { PickedSource } from '../../../src/platform/restic-source.js'
import { prng } from '../../interop/restic/helpers.js'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const MiB = 1 << 20

/** A Fill over an in-memory file that hands out at most `step` bytes per read (like a short OS read). */
function memoryFill (data: Uint8Array, step = data.length): { fill: Fill, buffers: Set<ArrayBufferLike>, active: () => number } {
  let pos = 0
  let active = 0
  const buffers = new Set<ArrayBufferLike>()
  const fill: Fill = async (buf) => {
    active++
    buffers.add(buf.buffer)
    await new Promise(resolve => setTimeout(resolve, 1))
    let n = 0
    while (n < buf.length && pos < data.length) {
      const take = Math.min(step, buf.length - n, data.length - pos)
      buf.set(data.subarray(pos, pos + take), n)
      n += take
      pos += take
    }
    active--
    return buf.subarray(0, n)
  }
  return { fill, buffers, active: () => active }
}

async function collect (it: AsyncIterable<Uint8Array>, workMs = 0): Promise<{ bytes: Uint8Array, sizes: number[] }> {
  const parts: Uint8Array[] = []
  for await (const p of it) {
    parts.push(p.slice())
    if (workMs > 0) await new Promise(resolve => setTimeout(resolve, workMs))
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) { bytes.set(p, off); off += p.length }
  return { bytes, sizes: parts.map(p => p.length) }
}

describe('readPieces', () => {
  it('yields the file in order, in full pieces, through a ring of ahead + 1 buffers', async () => {
    const data = prng('pieces', 10 * 4096 + 123)
    const m = memoryFill(data, 1000)
    // A slow consumer: the reads get 3 pieces ahead of it.
    const { bytes, sizes } = await collect(readPieces(m.fill, { pieceSize: 4096, ahead: 3 }), 15)
    expect(sha(bytes)).toBe(sha(data))
    expect(sizes).toEqual([...Array(10).fill(4096), 123])
    expect(m.buffers.size).toBe(4)
  })

  it('fills a piece again only once the next one is requested', async () => {
    const data = prng('pieces-reuse', 8 * 1024)
    const m = memoryFill(data)
    const it = readPieces(m.fill, { pieceSize: 1024, ahead: 2 })
    const first = (await it.next()).value as Uint8Array
    const copy = first.slice()
    await new Promise(resolve => setTimeout(resolve, 20)) // the read-ahead runs meanwhile
    expect(first).toEqual(copy)
    const second = (await it.next()).value as Uint8Array
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(second).toEqual(data.subarray(1024, 2048))
    expect(first.buffer === second.buffer).toBe(false)
    await it.return(undefined)
  })

  it('reports a failed read after the pieces before it, and waits for the read in progress on return', async () => {
    let calls = 0
    const failing: Fill = async (buf) => {
      calls++
      if (calls === 3) throw new Error('disk went away')
      buf.fill(calls)
      return buf
    }
    const seen: number[] = []
    await expect((async () => { for await (const p of readPieces(failing, { pieceSize: 16, ahead: 4 })) seen.push(p[0] as number) })()).rejects.toThrow('disk went away')
    expect(seen).toEqual([1, 2])
    expect(calls).toBe(3) // no read after the failure

    const m = memoryFill(prng('pieces-early', 64 * 1024))
    const it = readPieces(m.fill, { pieceSize: 1024, ahead: 4 })
    await it.next()
    expect(m.active()).toBe(1)
    await it.return(undefined)
    expect(m.active()).toBe(0)
  })

  it('stops when aborted', async () => {
    const ac = new AbortController()
    const m = memoryFill(prng('pieces-abort', 64 * 1024))
    const it = readPieces(m.fill, { pieceSize: 1024, signal: ac.signal })
    await it.next()
    ac.abort()
    await expect(it.next()).rejects.toThrow()
    expect(m.active()).toBe(0)
  })

  it('byobFill fills whole pieces from a Blob stream, reusing the transferred memory', async () => {
    const data = prng('pieces-byob', 3 * MiB + 5)
    const reader = new Blob([data as Uint8Array<ArrayBuffer>]).stream().getReader({ mode: 'byob' })
    const { bytes, sizes } = await collect(readPieces(byobFill(reader), { pieceSize: MiB }))
    expect(sha(bytes)).toBe(sha(data))
    expect(sizes).toEqual([MiB, MiB, MiB, 5])
  })
})

/**
 * A source that holds the archiver to the contract of `BackupSource.open`: once the next piece is
 * requested, the previous one is overwritten.
 */
class ScribblingSource implements BackupSource {
  readonly paths = ['/']
  readonly #inner: MemorySource
  constructor (inner: MemorySource) { this.#inner = inner }
  async list (dir: string[]): Promise<SourceEntry[]> { return await this.#inner.list(dir) }
  async * open (path: string[]): AsyncGenerator<Uint8Array> {
    for await (const piece of this.#inner.open(path)) {
      const mine = piece.slice(0, 300_001) // odd sizes, so pieces straddle cut points
      for (let off = 0; off < piece.length; off += mine.length) {
        const part = piece.subarray(off, off + mine.length)
        mine.set(part)
        const view = mine.subarray(0, part.length)
        yield view
        view.fill(0xff)
      }
    }
  }
}

describe('backup sources whose pieces are reused', () => {
  it('the archiver copies each piece before asking for the next: same blobs, same bytes restored', async () => {
    const tree = { big: prng('scribble', 5 * MiB + 77), small: new TextEncoder().encode('x') }
    const repo = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: { N: 1024, r: 8, p: 1 } })
    const plain = await backup(repo, new MemorySource(tree), { hostname: 'h', parent: false, time: new Date(0) })
    const scribbled = await backup(repo, new ScribblingSource(new MemorySource(tree)), { hostname: 'h', parent: false, time: new Date(0) })
    expect(scribbled.tree).toBe(plain.tree)
    expect(scribbled.dataBlobs).toBe(0)
    const sink = new MemorySink()
    await restore(repo, await findSnapshot(repo, scribbled.snapshotId), sink)
    expect(sha(sink.entries.get('big')?.data as Uint8Array)).toBe(sha(tree.big))
  })

  it('PickedSource reads picked files through its ring: the same tree as the bytes in memory', async () => {
    const data = prng('picked', 12 * MiB + 3)
    const repo = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: { N: 1024, r: 8, p: 1 } })
    const mem = await backup(repo, new MemorySource({ f: { 'a.bin': data } }, ['/f']), { hostname: 'h', parent: false, time: new Date(0) })
    const picked = await backup(repo, new PickedSource([{ path: 'f/a.bin', file: new File([data as Uint8Array<ArrayBuffer>], 'a.bin', { lastModified: 1_700_000_000_000 }) }]), { hostname: 'h', parent: false, time: new Date(0) })
    expect(picked.dataBlobs).toBe(0)
    const sink = new MemorySink()
    await restore(repo, await findSnapshot(repo, picked.snapshotId), sink)
    expect(sha(sink.entries.get('f/a.bin')?.data as Uint8Array)).toBe(sha(data))
    // The chunker's polynomial is random per repository, so the count of blobs varies; a blob is at
    // most 8 MiB, so 12 MiB always gives two or more.
    expect(mem.dataBlobs).toBeGreaterThanOrEqual(2)
  })
})
