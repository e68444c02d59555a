/**
 * The Backups page's pure parts, in Node: the picked-files source, the zip restore bridge, the
 * snapshot statistics and the password hint. (The page itself is covered by playwright/specs/backups.spec.ts.)
 */
import { makeZip } from 'client-zip'
import { describe, expect, it } from 'vitest'
import { TreeStats } from '../../../src/app/backup-stats.js'
import { DuplicatePathError, PickedSource } from '../../../src/platform/restic-source.js'
import { ZipSink, nodeTime } from '../../../src/platform/restic-sinks.js'
import { MemoryBackend, MemorySource, Repository, backup, listSnapshots, restore } from '../../../src/restic/index.js'

const fast = { N: 1024, r: 8, p: 1 }
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff)

describe('PickedSource', () => {
  it('turns picked paths into snapshot paths and a tree, and reads files piece by piece', async () => {
    const big = bytes(2_500_000, 1)
    const src = new PickedSource([
      { path: 'photos/2026/a.jpg', file: new File([big as Uint8Array<ArrayBuffer>], 'a.jpg', { lastModified: 1_700_000_000_123 }) },
      { path: 'photos/empty-dir' },
      { path: 'notes.txt', file: new File(['hi'], 'notes.txt', { lastModified: 1_700_000_000_000 }) }
    ])
    expect(src.paths).toEqual(['/notes.txt', '/photos'])
    expect(src.totalFiles).toBe(2)
    expect(src.totalBytes).toBe(big.length + 2)
    const root = await src.list([])
    expect(root.map(e => [e.name, e.type]).sort()).toEqual([['notes.txt', 'file'], ['photos', 'dir']])
    const photos = await src.list(['photos'])
    expect(photos.find(e => e.name === '2026')?.mtimeNs).toBe(1_700_000_000_123_000_000n) // a folder's time is its newest file's
    expect(await src.list(['photos', 'empty-dir'])).toEqual([])
    const pieces: Uint8Array[] = []
    // A piece is valid until the next is requested (the source refills its buffers): keep copies.
    for await (const p of src.open(['photos', '2026', 'a.jpg'])) pieces.push(p.slice())
    expect(pieces.length).toBe(3)
    expect(Math.max(...pieces.map(p => p.length))).toBe(1 << 20)
    expect(Buffer.concat(pieces).equals(Buffer.from(big))).toBe(true)
    expect(() => new PickedSource([{ path: 'x', file: new File(['1'], 'x') }, { path: 'x', file: new File(['2'], 'x') }])).toThrow(DuplicatePathError)
    expect(() => new PickedSource([{ path: 'x', file: new File(['1'], 'x') }, { path: 'x/y', file: new File(['2'], 'y') }])).toThrow(DuplicatePathError)
  })

  it('backs up through the restic engine; a second backup skips unchanged files', async () => {
    const repo = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: fast })
    const entries = [
      { path: 'docs/a.txt', file: new File(['alpha'], 'a.txt', { lastModified: 1_000 }) },
      { path: 'docs/b.bin', file: new File([bytes(700_000, 2) as Uint8Array<ArrayBuffer>], 'b.bin', { lastModified: 2_000 }) }
    ]
    const first = await backup(repo, new PickedSource(entries), { hostname: 'h' })
    expect(first.filesNew).toBe(2)
    const second = await backup(repo, new PickedSource([...entries.slice(0, 1), { path: 'docs/b.bin', file: new File(['changed'], 'b.bin', { lastModified: 3_000 }) }]), { hostname: 'h' })
    expect([second.filesUnmodified, second.filesChanged]).toEqual([1, 1])
  })
})

describe('ZipSink', () => {
  it('streams a restore into a zip, one file at a time, with folders and times', async () => {
    const repo = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: fast })
    const one = bytes(1_300_000, 3)
    await backup(repo, new MemorySource({ d: { 'one.bin': one, 'two.txt': new TextEncoder().encode('two'), e: {} }, link: { symlink: 'd/two.txt' } }), { hostname: 'h' })
    const [snap] = await listSnapshots(repo)
    const sink = new ZipSink('snap')
    const restoring = restore(repo, snap!, sink).then(() => { sink.end() }, (err: unknown) => { sink.end(err); throw err })
    const chunks: Uint8Array[] = []
    const reader = makeZip(sink.entries()).getReader()
    while (true) { const r = await reader.read(); if (r.done) break; chunks.push(r.value) }
    await restoring
    const zip = Buffer.concat(chunks)
    expect(zip.subarray(0, 4).toString('hex')).toBe('504b0304')
    for (const name of ['snap/d/', 'snap/d/one.bin', 'snap/d/two.txt', 'snap/d/e/']) expect(zip.includes(Buffer.from(name))).toBe(true)
    expect(zip.includes(Buffer.from(one))).toBe(true) // stored, not compressed
    expect(sink.skipped).toEqual(['/link (symlink to d/two.txt)'])
  })

  it('a failed restore ends the zip with the error', async () => {
    const sink = new ZipSink('x')
    sink.end(new Error('pack missing'))
    await expect(async () => { for await (const _ of sink.entries()) { /* none */ } }).rejects.toThrow('pack missing')
  })

  it('reads restic times with nanoseconds', () => {
    expect(nodeTime('2026-11-22T10:00:00.123456789+01:00').toISOString()).toBe('2026-11-22T09:00:00.123Z')
    expect(nodeTime('garbage').getTime()).toBe(0)
  })
})

describe('TreeStats', () => {
  it('sizes snapshots and counts new, changed, unmodified and removed files against the parent', async () => {
    const repo = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: fast })
    const same = bytes(5000, 4)
    await backup(repo, new MemorySource({ keep: { 'same.bin': same, 'edit.txt': new TextEncoder().encode('v1') }, gone: { 'old.txt': new TextEncoder().encode('bye') } }), { hostname: 'h' })
    await backup(repo, new MemorySource({ keep: { 'same.bin': same, 'edit.txt': new TextEncoder().encode('version 2') }, fresh: { 'new.txt': new TextEncoder().encode('hello') } }), { hostname: 'h', parent: false })
    const [a, b] = await listSnapshots(repo)
    const stats = new TreeStats(repo)
    expect(await stats.totals(a!.tree)).toEqual({ files: 3, dirs: 2, bytes: 5000 + 2 + 3 })
    expect(await stats.totals(b!.tree)).toEqual({ files: 3, dirs: 2, bytes: 5000 + 9 + 5 })
    expect(await stats.changes(a!.tree, b!.tree)).toEqual({ filesNew: 1, filesChanged: 1, filesUnmodified: 1, filesRemoved: 1 })
    expect(await stats.changes(undefined, a!.tree)).toEqual({ filesNew: 3, filesChanged: 0, filesUnmodified: 0, filesRemoved: 0 })
    expect(await stats.changes(a!.tree, a!.tree)).toEqual({ filesNew: 0, filesChanged: 0, filesUnmodified: 3, filesRemoved: 0 })
  })
})
