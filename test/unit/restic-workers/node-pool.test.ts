/**
 * The restic pool on Node worker threads (src/node/restic/worker-pool.ts), and the restorer's
 * reads of blobs that lie back to back in a pack (one backend request per run).
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MemoryBackend, MemorySink, MemorySource, Repository, backup, check, findSnapshot, restore } from '../../../src/restic/index.js'
import type { Handle } from '../../../src/restic/index.js'
import { createNodeResticPool } from '../../../src/node/restic/worker-pool.js'
import { prng } from '../../interop/restic/helpers.js'

const FAST = { N: 1024, r: 8, p: 1 }
const MiB = 1024 * 1024
const sha = (b: Uint8Array | undefined): string => createHash('sha256').update(b ?? new Uint8Array(0)).digest('hex')

/** Counts ranged reads of pack files. */
class CountingBackend extends MemoryBackend {
  packReads = 0
  override async read (h: Handle, range?: { offset: number, length?: number | undefined }): Promise<Uint8Array> {
    if (h.type === 'data') this.packReads++
    return await super.read(h, range)
  }
}

describe('restic pool on Node worker threads', () => {
  it('backs up and restores through worker threads, the same as on this thread', async () => {
    const backend = new CountingBackend()
    const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST })
    const big = prng('node-pool-big', 12 * MiB)
    const text = new TextEncoder().encode('restic cairn backup '.repeat(300_000))
    const pool = createNodeResticPool({ size: 2 })
    try {
      expect(pool.workers).toBe(true)
      const s = await backup(repo, new MemorySource({ big, text, empty: new Uint8Array(0) }), { hostname: 'h', pool })
      const other = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: FAST, chunkerPolynomial: repo.config.chunker_polynomial })
      const ref = await backup(other, new MemorySource({ big, text, empty: new Uint8Array(0) }), { hostname: 'h' })
      expect(s.tree).toBe(ref.tree)
      // The text is compressed; the random data is incompressible and gets a frame of raw blocks.
      const blobs = [...repo.index.packs.values()].flat().filter(b => b.type === 'data')
      expect(blobs.filter(b => b.uncompressedLength !== undefined && b.length < b.uncompressedLength / 10).length).toBeGreaterThan(0)
      expect(blobs.filter(b => b.uncompressedLength !== undefined && b.length === 32 + b.uncompressedLength + 9 + 3 * Math.ceil(b.uncompressedLength / 131072)).length).toBeGreaterThanOrEqual(2)

      const r = await Repository.open(backend, { password: 'pw' })
      expect((await check(r, { readData: true })).errors).toEqual([])
      backend.packReads = 0
      const sink = new MemorySink()
      await restore(r, await findSnapshot(r, 'latest'), sink, { pool })
      expect(sha(sink.entries.get('big')?.data)).toBe(sha(big))
      expect(sha(sink.entries.get('text')?.data)).toBe(sha(text))
      expect(sink.entries.get('empty')?.data?.length ?? 0).toBe(0)
      // ~13 data blobs of ~1 MiB, read in runs of up to 8 (4 per thread): far fewer reads than blobs.
      expect(backend.packReads).toBeLessThan(s.dataBlobs)
    } finally {
      pool.close()
    }
  }, 60_000)

  it('storedFrame: a zstd frame of raw blocks that libzstd and fzstd both decode', async () => {
    const { storedFrame, decompress } = await import('../../../src/restic/util/zstd.js')
    const { decompress: fzstd } = await import('fzstd')
    for (const size of [1, 1000, 131072, 131073, MiB + 5]) {
      const data = prng(`stored-${size}`, size)
      const frame = storedFrame(data)
      expect(frame.length).toBe(size + 9 + 3 * Math.ceil(size / 131072))
      expect([...frame.subarray(0, 5)]).toEqual([0x28, 0xb5, 0x2f, 0xfd, 0xa0])
      expect(sha(await decompress(frame, size))).toBe(sha(data))
      expect(sha(fzstd(frame))).toBe(sha(data))
    }
  })

  it('worthCompressing: random data is not, text and data with a compressible part are', async () => {
    const { worthCompressing } = await import('../../../src/restic/util/zstd.js')
    const random = prng('worth', MiB)
    expect(await worthCompressing(random)).toBe(false)
    expect(await worthCompressing(new TextEncoder().encode('restic cairn backup '.repeat(60_000)))).toBe(true)
    const mixed = random.slice()
    mixed.fill(7, MiB - 64 * 1024) // a compressible tail
    expect(await worthCompressing(mixed)).toBe(true)
    expect(await worthCompressing(random.subarray(0, 32 * 1024))).toBe(true) // small: always
  })

  it('a damaged blob inside a run fails the file, naming the pack', async () => {
    const backend = new MemoryBackend()
    const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST })
    await backup(repo, new MemorySource({ f: prng('node-pool-damage', 6 * MiB) }), { hostname: 'h' })
    for (const [path, bytes] of backend.files) if (path.startsWith('data/')) bytes[2 * MiB] = (bytes[2 * MiB] as number) ^ 1
    const r = await Repository.open(backend, { password: 'pw' })
    await expect(restore(r, await findSnapshot(r, 'latest'), new MemorySink())).rejects.toThrow(/failed authentication \(MAC mismatch\)/)
  })
})
