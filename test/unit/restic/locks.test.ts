/** Issue #12 items 5 and 6, engine side: lock identity, refresh, lost locks, stale own locks, release on every error. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LockLostError, MemoryBackend, MemorySource, Repository, RepositoryLockedError, backup, check, lockRepository, removeLocks } from '../../../src/restic/index.js'
import type { BackupSource, LockFile, LockHolder } from '../../../src/restic/index.js'
import { prng } from '../../interop/restic/helpers.js'

const FAST = { N: 1024, r: 8, p: 1 }
const holder: LockHolder = { owner: { hostname: 'tab-host', username: 'me', pid: 4242 } }

async function newRepo (lockHolder: LockHolder = holder): Promise<{ backend: MemoryBackend, repo: Repository }> {
  const backend = new MemoryBackend()
  const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST, lockHolder })
  return { backend, repo }
}

const lockIds = async (backend: MemoryBackend): Promise<string[]> => (await backend.list('locks')).map(f => f.name)

/** A source whose one file blocks mid-read until `release()` is called. */
function pausedSource (): { source: BackupSource, reading: Promise<void>, release: () => void } {
  const inner = new MemorySource({ a: prng('paused', 300_000) })
  let release!: () => void
  let started!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  const reading = new Promise<void>(resolve => { started = resolve })
  const source: BackupSource = {
    paths: inner.paths,
    list: async (dir) => await inner.list(dir),
    open: async function * (path) {
      started()
      await gate
      yield * inner.open(path)
    }
  }
  return { source, reading, release }
}

afterEach(() => { vi.useRealTimers() })

describe('lock files', () => {
  it('carry the holder\'s host, user and pid (never pid 0)', async () => {
    const { repo } = await newRepo({ owner: { hostname: 'h1', username: 'u1', pid: 77, uid: 1000, gid: 100 } })
    const lock = await lockRepository(repo, { exclusive: false })
    const json = await repo.loadJSON('locks', lock.id) as LockFile
    expect(json).toMatchObject({ hostname: 'h1', username: 'u1', pid: 77, uid: 1000, gid: 100, exclusive: false })
    await lock.release()
    const { repo: plain } = await newRepo(undefined as unknown as LockHolder)
    const l2 = await lockRepository(plain, { exclusive: true })
    expect((await plain.loadJSON('locks', l2.id) as LockFile).pid).toBeGreaterThan(0)
    await l2.release()
  })

  it('are refreshed every 5 minutes (a new file, the old one removed); a lock removed meanwhile is lost, not re-created', async () => {
    const { backend, repo } = await newRepo()
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const lock = await lockRepository(repo, { exclusive: false })
    const first = lock.id
    vi.advanceTimersByTime(5 * 60 * 1000)
    await lock.check()
    expect(lock.id).not.toBe(first)
    expect(await lockIds(backend)).toEqual([lock.id])
    await backend.remove({ type: 'locks', name: lock.id })
    vi.advanceTimersByTime(5 * 60 * 1000)
    await expect(lock.check()).rejects.toBeInstanceOf(LockLostError)
    expect(await lockIds(backend)).toEqual([])
    expect(await lock.release()).toBe(true)
  })
})

describe('a backup whose lock vanishes', () => {
  it('fails with LockLostError and saves no snapshot', async () => {
    const { backend, repo } = await newRepo()
    const { source, reading, release } = pausedSource()
    const running = backup(repo, source, { hostname: 'h' })
    await reading
    const [id] = await lockIds(backend)
    await removeLocks(repo, { all: true }) // what `restic unlock --remove-all` does
    expect(await lockIds(backend)).toEqual([])
    release()
    const err = await running.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LockLostError)
    expect((err as Error).message).toMatch(new RegExp(`lock ${id?.slice(0, 8) ?? ''} was removed.*no snapshot was saved`))
    expect(await backend.list('snapshots')).toEqual([])
    expect(await lockIds(backend)).toEqual([])
  })

  it('while it runs, unlock (stale only) keeps its lock and the backup succeeds', async () => {
    const { backend, repo } = await newRepo()
    const { source, reading, release } = pausedSource()
    const running = backup(repo, source, { hostname: 'h' })
    await reading
    expect(await removeLocks(repo)).toEqual([])
    release()
    await running
    expect(await backend.list('snapshots')).toHaveLength(1)
    expect(await lockIds(backend)).toEqual([])
  })
})

describe('stale locks', () => {
  it('a lock of a holder that is gone is stale; a live one is not; --remove-all removes both', async () => {
    const gone = new Set([11])
    const judge: LockHolder = { owner: holder.owner, isGone: (l) => l.hostname === 'tab-host' && gone.has(l.pid) }
    const { backend, repo } = await newRepo(judge)
    const write = async (pid: number, host = 'tab-host'): Promise<string> => await repo.saveUnpacked('locks', JSON.stringify({ time: new Date().toISOString(), exclusive: true, hostname: host, username: '', pid }))
    const dead = await write(11)
    const live = await write(12)
    const elsewhere = await write(11, 'other-host')
    expect(await removeLocks(repo)).toEqual([dead])
    expect((await lockIds(backend)).sort()).toEqual([live, elsewhere].sort())
    expect((await removeLocks(repo, { all: true })).sort()).toEqual([live, elsewhere].sort())
  })

  it('a backup stopped by a full disk whose lock removal fails too: the lock is this process\'s leftover, removed by the next lock and by unlock', async () => {
    const { backend, repo } = await newRepo()
    const { write, remove } = { write: backend.write.bind(backend), remove: backend.remove.bind(backend) }
    backend.write = async (h, data) => {
      if (h.type === 'data') throw new DOMException('quota', 'QuotaExceededError')
      await write(h, data)
    }
    backend.remove = async () => { throw new DOMException('quota', 'QuotaExceededError') }
    const err = await backup(repo, new MemorySource({ a: prng('full', 400_000) }), { hostname: 'h', packSize: 100_000 }).catch((e: unknown) => e)
    // The error that stopped the backup, not one from releasing the lock.
    expect((err as Error).name).toBe('QuotaExceededError')
    backend.write = write
    backend.remove = remove
    const [left] = await lockIds(backend)
    expect(left).toBeDefined()
    // Another session of the same holder (a second Repository object in this tab) takes it for stale.
    const again = await Repository.open(backend, { password: 'pw', lockHolder: holder })
    expect(await removeLocks(again)).toEqual([left])
    // And an exclusive lock taken after such a failure is not blocked by it.
    backend.write = async (h, data) => {
      if (h.type === 'data') throw new DOMException('quota', 'QuotaExceededError')
      await write(h, data)
    }
    backend.remove = async () => { throw new DOMException('quota', 'QuotaExceededError') }
    await backup(repo, new MemorySource({ a: prng('full', 400_000) }), { hostname: 'h', packSize: 100_000 }).catch(() => {})
    backend.write = write
    backend.remove = remove
    expect(await lockIds(backend)).toHaveLength(1)
    expect((await check(repo)).errors).toEqual([])
    expect(await lockIds(backend)).toEqual([])
  })

  it('a lock of another live holder still blocks an exclusive lock', async () => {
    const { repo } = await newRepo()
    const other = await Repository.open(repo.backend, { password: 'pw', lockHolder: { owner: { hostname: 'tab-host', username: '', pid: 999 } } })
    const theirs = await lockRepository(other, { exclusive: false })
    await expect(lockRepository(repo, { exclusive: true })).rejects.toBeInstanceOf(RepositoryLockedError)
    await theirs.release()
  })
})
