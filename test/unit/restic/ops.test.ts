import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  MemoryBackend, MemorySink, MemorySource, Repository, backup, restore, findSnapshot, listSnapshots, check, forget, prune,
  Chunker, removeLocks, listKeys, addKey, removeKey, WrongPasswordError, RepositoryLockedError, lockRepository, walk
} from '../../../src/restic/index.js'
import type { MemoryTree } from '../../../src/restic/index.js'
import { prng } from '../../interop/restic/helpers.js'

const FAST = { N: 1024, r: 8, p: 1 }
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function newRepo (version: 1 | 2 = 2): Promise<{ backend: MemoryBackend, repo: Repository }> {
  const backend = new MemoryBackend()
  const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST, version })
  return { backend, repo }
}

const reopen = async (backend: MemoryBackend, password = 'pw'): Promise<Repository> => await Repository.open(backend, { password })

function tree1 (): MemoryTree {
  return {
    'a.txt': new TextEncoder().encode('alpha\n'),
    big: prng('ops-big', 1_500_000),
    dir: { 'b.txt': new TextEncoder().encode('beta\n'), empty: new Uint8Array(0), sub: {} },
    link: { symlink: 'a.txt' }
  }
}

async function restoreAll (repo: Repository, ref = 'latest'): Promise<Map<string, string>> {
  const sink = new MemorySink()
  await restore(repo, await findSnapshot(repo, ref), sink)
  return new Map([...sink.entries].map(([k, v]) => [k, v.data !== undefined ? sha(v.data) : v.node.type + (v.node.linktarget ?? '')]))
}

describe.each([1, 2] as const)('restic engine on a memory backend (repository v%i)', (version) => {
  it('backs up and restores a tree; a second run dedupes everything', async () => {
    const { backend, repo } = await newRepo(version)
    const s1 = await backup(repo, new MemorySource(tree1()), { hostname: 'h', tags: ['t1'], time: new Date('2024-05-01T00:00:00Z') })
    expect(s1.filesNew).toBe(4)
    const bigChunks = (await new Chunker(repo.polynomial).lengths(prng('ops-big', 1_500_000))).length
    expect(s1.dataBlobs).toBe(2 + bigChunks) // a.txt, b.txt, the chunks of big; empty files have none
    const restored = await restoreAll(await reopen(backend))
    expect(restored.get('big')).toBe(sha(prng('ops-big', 1_500_000)))
    expect(restored.get('dir/empty')).toBe(sha(new Uint8Array(0)))
    expect(restored.get('link')).toBe('symlinka.txt')
    expect(restored.has('dir/sub')).toBe(true)

    const repo2 = await reopen(backend)
    const s2 = await backup(repo2, new MemorySource(tree1()), { hostname: 'h', parent: false, time: new Date('2024-05-02T00:00:00Z') })
    expect(s2.dataBlobs).toBe(0)
    expect(s2.treeBlobs).toBe(0)
    expect(s2.tree).toBe(s1.tree)
    const s3 = await backup(await reopen(backend), new MemorySource(tree1()), { hostname: 'h' })
    expect(s3.parent).toBe(s2.snapshotId)
    expect(s3.filesUnmodified).toBe(4)
    const result = await check(await reopen(backend), { readData: true })
    expect(result.errors).toEqual([])
    expect(result.snapshots).toBe(3)
    // v1 never stores compressed blobs; v2 gives every blob a zstd frame: trees and compressible
    // data compressed, incompressible data (the random `big`) in raw blocks, 9 + 3 per 128 KiB bytes
    // over its size (32 more for IV and MAC).
    const packs = [...repo.index.packs.values()].flat()
    if (version === 1) expect(packs.every(b => b.uncompressedLength === undefined)).toBe(true)
    else {
      expect(packs.filter(b => b.type === 'tree' || b.length < 1024).every(b => b.uncompressedLength !== undefined)).toBe(true)
      const bigBlobs = packs.filter(b => b.type === 'data' && b.length > 64 * 1024)
      expect(bigBlobs.length).toBeGreaterThan(0)
      expect(bigBlobs.every(b => b.uncompressedLength !== undefined && b.length === 32 + b.uncompressedLength + 9 + 3 * Math.ceil(b.uncompressedLength / 131072))).toBe(true)
    }
  })
})

describe('restic operations', () => {
  it('filters snapshots by host, tag and path, and resolves short IDs', async () => {
    const { backend, repo } = await newRepo()
    await backup(repo, new MemorySource(tree1(), ['/one']), { hostname: 'h1', tags: ['a', 'b'] })
    await backup(await reopen(backend), new MemorySource(tree1(), ['/two']), { hostname: 'h2', tags: ['b'] })
    const r = await reopen(backend)
    expect((await listSnapshots(r, { hosts: ['h1'] })).map(s => s.hostname)).toEqual(['h1'])
    expect((await listSnapshots(r, { tags: ['a,b'] })).map(s => s.hostname)).toEqual(['h1'])
    expect((await listSnapshots(r, { tags: ['b'] }))).toHaveLength(2)
    expect((await listSnapshots(r, { paths: ['/two'] })).map(s => s.hostname)).toEqual(['h2'])
    const all = await listSnapshots(r)
    expect((await findSnapshot(r, all[0]!.id.slice(0, 8))).id).toBe(all[0]!.id)
    await expect(findSnapshot(r, 'ffffffff')).rejects.toThrow(/no snapshot with ID/)
    const paths: string[] = []
    await r.loadIndex()
    for await (const e of walk(r, all[0]!.tree)) paths.push(e.path.join('/'))
    expect(paths).toEqual(['a.txt', 'big', 'dir', 'dir/b.txt', 'dir/empty', 'dir/sub', 'link'])
  })

  it('forget applies keep-last/daily and prune repacks, removes unused packs, and keeps what is used', async () => {
    const { backend, repo } = await newRepo()
    const days = ['2024-01-01T10:00:00Z', '2024-01-01T12:00:00Z', '2024-01-02T10:00:00Z', '2024-01-03T10:00:00Z']
    for (const [i, day] of days.entries()) {
      const r = i === 0 ? repo : await reopen(backend)
      await backup(r, new MemorySource({ [`f${i}.bin`]: prng(`f${i}`, 300_000), 'shared.txt': new TextEncoder().encode('same') }), { hostname: 'h', time: new Date(day), packSize: 500_000, parent: false })
    }
    const dry = await forget(await reopen(backend), { daily: 2 }, { dryRun: true })
    expect(dry[0]!.keep.map(s => s.time)).toEqual(['2024-01-03T10:00:00Z', '2024-01-02T10:00:00Z'])
    expect(await listSnapshots(await reopen(backend))).toHaveLength(4)
    const groups = await forget(await reopen(backend), { last: 1, daily: 2 })
    expect(groups[0]!.remove.map(s => s.time)).toEqual(['2024-01-01T12:00:00Z', '2024-01-01T10:00:00Z'])
    const before = (await backend.list('data')).length
    const res = await prune(await reopen(backend), { packSize: 500_000 })
    expect(res.packsRemoved + res.packsRepacked).toBeGreaterThan(0)
    expect((await backend.list('data')).length).toBeLessThan(before)
    const r = await reopen(backend)
    expect((await check(r, { readData: true })).errors).toEqual([])
    const restored = await restoreAll(r)
    expect(restored.get('f3.bin')).toBe(sha(prng('f3', 300_000)))
    expect((await backend.list('index')).length).toBe(1)
  })

  it('manages keys: add, open with either password, refuse to remove the key in use', async () => {
    const { backend, repo } = await newRepo()
    const id2 = await addKey(repo, 'second', { scrypt: FAST })
    const keys = await listKeys(repo)
    expect(keys.map(k => k.current).sort()).toEqual([false, true])
    const viaSecond = await reopen(backend, 'second')
    expect(viaSecond.keyId).toBe(id2)
    await expect(removeKey(viaSecond, id2)).rejects.toThrow(/in use/)
    await removeKey(viaSecond, repo.keyId.slice(0, 10))
    await expect(reopen(backend, 'pw')).rejects.toBeInstanceOf(WrongPasswordError)
    expect((await reopen(backend, 'second')).config.id).toBe(repo.config.id)
  })

  it('an exclusive lock blocks backup; a released lock does not', async () => {
    const { backend, repo } = await newRepo()
    const lock = await lockRepository(repo, { exclusive: true })
    await expect(backup(await reopen(backend), new MemorySource(tree1()), { hostname: 'h' })).rejects.toBeInstanceOf(RepositoryLockedError)
    await lock.release()
    await backup(await reopen(backend), new MemorySource(tree1()), { hostname: 'h' })
    expect(await backend.list('locks')).toEqual([])
  })

  it('an interrupted backup leaves a checkable repository and the rerun adopts its packs', async () => {
    const { backend, repo } = await newRepo()
    const files: MemoryTree = { 'x.bin': prng('x', 1_200_000), 'y.bin': prng('y', 1_200_000) }
    // Fail the first index write: the packs are uploaded, nothing references them yet.
    const write = backend.write.bind(backend)
    let failed = false
    backend.write = async (h, data) => {
      if (h.type === 'index' && !failed) { failed = true; throw new Error('simulated crash') }
      await write(h, data)
    }
    await expect(backup(repo, new MemorySource(files), { hostname: 'h', packSize: 600_000 })).rejects.toThrow('simulated crash')
    backend.write = write
    const packsBefore = (await backend.list('data')).length
    expect(packsBefore).toBeGreaterThan(0)
    const c = await check(await reopen(backend))
    expect(c.errors).toEqual([])
    expect(c.hints.some(h => /not referenced/.test(h))).toBe(true)
    const s = await backup(await reopen(backend), new MemorySource(files), { hostname: 'h', packSize: 600_000 })
    expect(s.packsAdopted).toBe(packsBefore)
    expect(s.dataBlobs).toBe(0)
    expect(s.treeBlobs).toBe(0) // the tree pack was uploaded before the crash, too
    expect((await backend.list('data')).length).toBe(packsBefore)
    expect((await check(await reopen(backend), { readData: true })).errors).toEqual([])
  })
})

describe('progress and cancellation', () => {
  it('emits typed progress events for backup and restore', async () => {
    const { backend, repo } = await newRepo()
    const seen = new Set<string>()
    await backup(repo, new MemorySource(tree1()), { hostname: 'h', onProgress: e => seen.add(e.type) })
    expect([...seen].sort()).toEqual(['restic:backup:blob', 'restic:backup:file', 'restic:backup:snapshot', 'restic:index:uploaded', 'restic:pack:uploaded'])
    const r = await reopen(backend)
    const seen2 = new Set<string>()
    await restore(r, await findSnapshot(r, 'latest'), new MemorySink(), { onProgress: e => seen2.add(e.type) })
    expect([...seen2].sort()).toEqual(['restic:index:loaded', 'restic:restore:bytes', 'restic:restore:file'])
  })

  it('an aborted backup stops, releases its lock and writes no snapshot', async () => {
    const { backend, repo } = await newRepo()
    const controller = new AbortController()
    const err = await backup(repo, new MemorySource(tree1()), {
      hostname: 'h',
      signal: controller.signal,
      onProgress: e => { if (e.type === 'restic:backup:file') controller.abort(new DOMException('stop', 'AbortError')) }
    }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('AbortError')
    expect(await backend.list('locks')).toEqual([])
    expect(await backend.list('snapshots')).toEqual([])
  })
})

describe('unreadable source entries', () => {
  it('are reported and left out, and the rest is backed up (like restic)', async () => {
    const { backend, repo } = await newRepo()
    class Flaky extends MemorySource {
      override async * open (path: string[]): AsyncGenerator<Uint8Array> {
        if (path.join('/') === 'dir/b.txt') throw new Error('EACCES: permission denied')
        yield * super.open(path)
      }
    }
    const s = await backup(repo, new Flaky(tree1()), { hostname: 'h' })
    expect(s.errors).toEqual([{ path: '/dir/b.txt', message: 'EACCES: permission denied' }])
    const restored = await restoreAll(await reopen(backend))
    expect(restored.has('dir/b.txt')).toBe(false)
    expect(restored.get('a.txt')).toBe(sha(new TextEncoder().encode('alpha\n')))
    expect((await check(await reopen(backend), { readData: true })).errors).toEqual([])
  })
})

describe('locks and keys, robustness', () => {
  it('unlock removes stale locks only, unless asked for all', async () => {
    const { backend, repo } = await newRepo()
    const fresh = await lockRepository(repo, { exclusive: false })
    const old = await repo.saveUnpacked('locks', JSON.stringify({ time: '2020-01-01T00:00:00Z', exclusive: true, hostname: 'gone', username: 'x', pid: 1 }))
    expect(await removeLocks(repo)).toEqual([old])
    expect((await backend.list('locks')).map(l => l.name)).toEqual([fresh.id])
    expect(await removeLocks(repo, { all: true })).toEqual([fresh.id])
    await fresh.release()
  })

  it('a damaged key file does not block another key that opens the repository', async () => {
    const { backend, repo } = await newRepo()
    await backend.write({ type: 'keys', name: '0'.repeat(64) }, new TextEncoder().encode('{not json'))
    expect((await reopen(backend)).keyId).toBe(repo.keyId)
    const err = await reopen(backend, 'wrong').catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/unusable \(damaged\) key files: keys\/0000/)
  })
})

describe('check on an already indexed repository', () => {
  it('does not report packs twice', async () => {
    const { repo } = await newRepo()
    await backup(repo, new MemorySource(tree1()), { hostname: 'h' })
    await repo.loadIndex()
    const r = await check(repo)
    expect(r.errors).toEqual([])
    expect(r.hints).toEqual([])
    expect(r.packs).toBe(repo.index.packs.size)
  })
})

describe('repository failures during backup', () => {
  it('abort the backup (they are not skipped like unreadable source files) and release the lock', async () => {
    const { backend, repo } = await newRepo()
    const write = backend.write.bind(backend)
    backend.write = async (h, data) => {
      if (h.type === 'data') throw new Error('disk full')
      await write(h, data)
    }
    await expect(backup(repo, new MemorySource({ a: prng('a', 800_000), b: prng('b', 800_000) }), { hostname: 'h', packSize: 100_000 })).rejects.toThrow('disk full')
    backend.write = write
    expect(await backend.list('snapshots')).toEqual([])
    expect(await backend.list('locks')).toEqual([])
  })
})
