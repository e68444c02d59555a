/**
 * Random packers (restic 0.18, restic issue #5291): blobs are spread over several open packers
 * picked at random, so the pack layout does not follow the chunk sequence of the files, and two
 * backups of the same data into two repositories with the same chunker polynomial give different
 * packs. Pack sizes keep restic's rules, and the repositories check and restore alike.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { InThreadBlobPool, MemoryBackend, MemorySink, MemorySource, Repository, backup, check, findSnapshot, restore } from '../../../src/restic/index.js'
import type { BlobPool, EncodeRequest, EncodedBlob, MemoryTree } from '../../../src/restic/index.js'
import { PackerManager, randomIndex } from '../../../src/restic/repository/packer-manager.js'
import { Key } from '../../../src/restic/crypto/key.js'
import { prng } from '../../interop/restic/helpers.js'

const FAST = { N: 1024, r: 8, p: 1 }
const POL = '3DA3358B4DC173'
const PACK_SIZE = 64 * 1024
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** 120 small files (one blob each, 2–14 KiB) and a 3 MiB file (chunks of 512 KiB–8 MiB, each above the pack size). */
function tree (): MemoryTree {
  const t: MemoryTree = { big: prng('packers-big', 3 * 1024 * 1024) }
  for (let i = 0; i < 120; i++) t[`f${String(i).padStart(3, '0')}`] = prng(`packers-${i}`, 2048 + (i * 1021) % (12 * 1024))
  return t
}

/**
 * Blobs encoded one after the other, so they reach the packers in the order the archiver reads
 * them (hashing runs on a thread pool, and blobs in flight may otherwise finish in any order): the
 * pack layout then depends on the packers alone.
 */
class SerialPool extends InThreadBlobPool {
  #tail: Promise<unknown> = Promise.resolve()
  override async encode (key: Key, req: EncodeRequest): Promise<EncodedBlob> {
    const run = this.#tail.then(async () => await super.encode(key, req))
    this.#tail = run.catch(() => {})
    return await run
  }
}

/** Each pack as the sequence of its blobs (type and plaintext ID), packs sorted: comparable across repositories. */
function layout (repo: Repository): string[] {
  return [...repo.index.packs.values()].map(blobs => blobs.map(b => `${b.type}:${b.id}`).join(',')).sort()
}

async function backupInto (options: { packerCount?: number } = {}): Promise<{ backend: MemoryBackend, repo: Repository, snapshot: string }> {
  const backend = new MemoryBackend()
  const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST, chunkerPolynomial: POL })
  const pool: BlobPool = new SerialPool()
  const s = await backup(repo, new MemorySource(tree()), { hostname: 'h', time: new Date('2025-01-01T00:00:00Z'), packSize: PACK_SIZE, pool, ...options })
  const reopened = await Repository.open(backend, { password: 'pw' })
  await reopened.loadIndex()
  return { backend, repo: reopened, snapshot: s.snapshotId }
}

async function restored (repo: Repository, snapshot: string): Promise<Map<string, string>> {
  const sink = new MemorySink()
  await restore(repo, await findSnapshot(repo, snapshot), sink)
  return new Map([...sink.entries].map(([k, v]) => [k, v.data !== undefined ? sha(v.data) : v.node.type]))
}

describe('random packers', () => {
  it('two backups of the same data give different pack layouts; both check and restore identically', async () => {
    const a = await backupInto()
    const b = await backupInto()
    // The same blobs (same polynomial, same data)…
    const blobs = (r: Repository): string[] => [...r.index.blobs('data'), ...r.index.blobs('tree')].map(x => `${x.type}:${x.id}`).sort()
    expect(blobs(a.repo)).toEqual(blobs(b.repo))
    expect(blobs(a.repo).length).toBeGreaterThan(120)
    // …in packs laid out differently.
    expect(layout(a.repo)).not.toEqual(layout(b.repo))
    for (const { repo } of [a, b]) {
      expect((await check(repo, { readData: true })).errors).toEqual([])
      for (const blobs of repo.index.packs.values()) {
        const bytes = blobs.reduce((n, x) => n + x.length, 0)
        const largest = Math.max(...blobs.map(x => x.length))
        // restic's rules: a blob of at least the target size is alone in its pack; other packs
        // close once they reach the target size, so they stay below it plus one blob.
        if (largest >= PACK_SIZE) expect(blobs).toHaveLength(1)
        else expect(bytes).toBeLessThan(PACK_SIZE + largest)
      }
    }
    const ra = await restored(a.repo, a.snapshot)
    expect(ra.get('big')).toBe(sha(prng('packers-big', 3 * 1024 * 1024)))
    expect(ra.get('f007')).toBe(sha(prng('packers-7', 2048 + (7 * 1021) % (12 * 1024))))
    expect(await restored(b.repo, b.snapshot)).toEqual(ra)
  })

  it('with one packer (restic before 0.18) the layout follows the data: the same in both repositories', async () => {
    // The control for the test above: it tells the two apart.
    const a = await backupInto({ packerCount: 1 })
    const b = await backupInto({ packerCount: 1 })
    expect(layout(a.repo)).toEqual(layout(b.repo))
  })

  it('a small backup still gives one data pack: open packers are merged at the end', async () => {
    const backend = new MemoryBackend()
    const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST, chunkerPolynomial: POL })
    const small: MemoryTree = {}
    for (let i = 0; i < 16; i++) small[`s${i}`] = prng(`small-${i}`, 1000 + i)
    await backup(repo, new MemorySource(small), { hostname: 'h' })
    const r = await Repository.open(backend, { password: 'pw' })
    await r.loadIndex()
    const packs = [...r.index.packs.values()]
    expect(packs.filter(p => p[0]?.type === 'data')).toHaveLength(1)
    expect(packs.filter(p => p[0]?.type === 'tree')).toHaveLength(1)
    expect(packs.find(p => p[0]?.type === 'data')).toHaveLength(16)
  })
})

describe('PackerManager', () => {
  const blob = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)
  const id = (i: number): string => i.toString(16).padStart(64, '0')

  it('puts each blob into the packer the pick names; a full packer leaves the manager', () => {
    const picks = [0, 1, 1, 0, 1, 1]
    const m = new PackerManager('data', 100, 2, () => picks.shift() ?? 0)
    expect(m.add(id(1), blob(30), undefined)).toBeUndefined()
    expect(m.add(id(2), blob(30), undefined)).toBeUndefined()
    expect(m.add(id(3), blob(30), undefined)).toBeUndefined()
    expect(m.open).toBe(2)
    expect(m.bytes).toBe(90)
    expect(m.add(id(4), blob(30), undefined)).toBeUndefined()
    // Slot 1 now holds 2, 3 and 5: 90 bytes, still open; then 6 fills it.
    expect(m.add(id(5), blob(30), undefined)).toBeUndefined()
    const full = m.add(id(6), blob(30), undefined)
    expect(full?.blobs.map(b => b.id)).toEqual([id(2), id(3), id(5), id(6)].map(String))
    expect(m.open).toBe(1)
  })

  it('gives a blob of at least the target size a pack of its own, leaving the open packers alone', () => {
    const m = new PackerManager('data', 100, 2, () => 0)
    m.add(id(1), blob(10), undefined)
    const own = m.add(id(2), blob(100), 90)
    expect(own?.blobs).toEqual([{ type: 'data', id: id(2), offset: 0, length: 100, uncompressedLength: 90 }])
    expect(m.open).toBe(1)
    expect(m.bytes).toBe(10)
  })

  it('merges open packers at the end while the result stays under the target size', async () => {
    const picks = [0, 1, 2, 0, 1, 2]
    const m = new PackerManager('tree', 100, 3, () => picks.shift() ?? 0)
    for (let i = 1; i <= 6; i++) m.add(id(i), blob(20, i), undefined)
    // Three packers of 40 bytes: the first two merge (80 < 100), the third would make 120.
    const packs = m.drain()
    expect(packs.map(p => p.size)).toEqual([80, 40])
    expect(packs[0]?.blobs.map(b => [b.id, b.offset])).toEqual([[id(1), 0], [id(4), 20], [id(2), 40], [id(5), 60]])
    expect(m.open).toBe(0)
    // The merged pack's bytes follow its header.
    const key = Key.random()
    const pack = await (packs[0] as NonNullable<typeof packs[0]>).finish(key)
    expect([...pack.bytes.subarray(40, 60)]).toEqual(new Array(20).fill(2))
    expect(m.drain()).toEqual([])
  })

  it('picks slots uniformly from the platform CSPRNG', () => {
    const counts = [0, 0, 0]
    for (let i = 0; i < 3000; i++) counts[randomIndex(3)]!++
    for (const c of counts) expect(c).toBeGreaterThan(800)
    expect(randomIndex(1)).toBe(0)
    expect(() => randomIndex(0)).toThrow(RangeError)
  })
})
