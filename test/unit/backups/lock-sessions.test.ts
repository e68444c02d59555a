/**
 * Issue #12 item 6, page side: a lock written by a tab of this browser that is closed is stale for
 * "Remove stale locks" in another tab; locks of open tabs and of other browsers are not. Runs the
 * real engine and the platform module on an in-memory IndexedDB, with a Web Locks manager shared by
 * the "tabs" (Node has no navigator.locks).
 */
import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import { PAGE_LOCK_HOST, startLockSession } from '../../../src/platform/lock-sessions.js'
import { LockLostError, MemoryBackend, MemorySource, Repository, backup, removeLocks } from '../../../src/restic/index.js'
import type { BackupSource } from '../../../src/restic/index.js'

const FAST = { N: 1024, r: 8, p: 1 }

/** Web Locks across tabs of one origin: exclusive names, held until the tab closes. */
class Origin {
  readonly held = new Map<string, Tab>()
  tab (): Tab { return new Tab(this) }
}
class Tab {
  readonly #origin: Origin
  constructor (origin: Origin) { this.#origin = origin }
  get locks (): Pick<LockManager, 'request' | 'query'> {
    const origin = this.#origin
    const request = async (name: string, cb: () => Promise<unknown>): Promise<unknown> => {
      if (origin.held.has(name)) throw new Error(`test: ${name} is already held`)
      origin.held.set(name, this)
      return await cb()
    }
    const query = async (): Promise<LockManagerSnapshot> => ({ held: [...origin.held.keys()].map(name => ({ name, mode: 'exclusive' as const, clientId: '' })), pending: [] })
    return { request, query } as unknown as Pick<LockManager, 'request' | 'query'>
  }

  close (): void { for (const [name, tab] of this.#origin.held) if (tab === this) this.#origin.held.delete(name) }
}

function pausedSource (): { source: BackupSource, reading: Promise<void>, release: () => void } {
  const inner = new MemorySource({ a: new Uint8Array(200_000).fill(7) })
  let release!: () => void
  let started!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  const reading = new Promise<void>(resolve => { started = resolve })
  return {
    source: { paths: inner.paths, list: async (dir) => await inner.list(dir), open: async function * (path) { started(); await gate; yield * inner.open(path) } },
    reading,
    release
  }
}

describe('page lock sessions', () => {
  it('write a host name no machine has and a nonzero pid per tab', async () => {
    const origin = new Origin()
    const a = await startLockSession({ locks: origin.tab().locks })
    const b = await startLockSession({ locks: origin.tab().locks })
    expect(a.owner.hostname).toBe(PAGE_LOCK_HOST)
    expect(a.owner.pid).toBeGreaterThan(0)
    expect(a.owner.pid).not.toBe(b.owner.pid)
  })

  it('a tab closed mid-backup leaves a lock that another tab removes as stale; open tabs\' and other browsers\' locks stay', async () => {
    const origin = new Origin()
    const tabA = origin.tab()
    const tabC = origin.tab()
    const backend = new MemoryBackend()
    const holderA = await startLockSession({ locks: tabA.locks })
    const repoA = await Repository.init(backend, { password: 'pw', scrypt: FAST, lockHolder: holderA })
    const { source, reading, release } = pausedSource()
    const running = backup(repoA, source, { hostname: 'h' })
    await reading
    const [lockA] = (await backend.list('locks')).map(f => f.name)
    // Another open tab holds a lock too, and a tab of another browser (a pid this browser never issued).
    const holderC = await startLockSession({ locks: tabC.locks })
    const repoC = await Repository.open(backend, { password: 'pw', lockHolder: holderC })
    const cPaused = pausedSource()
    const runningC = backup(repoC, cPaused.source, { hostname: 'h' })
    await cPaused.reading
    const otherBrowser = await repoA.saveUnpacked('locks', JSON.stringify({ time: new Date().toISOString(), exclusive: false, hostname: PAGE_LOCK_HOST, username: '', pid: 1234567 }))
    const lockC = (await backend.list('locks')).map(f => f.name).find(n => n !== lockA && n !== otherBrowser)

    tabA.close() // the tab is gone; its backup never finishes
    const tabB = origin.tab()
    const repoB = await Repository.open(backend, { password: 'pw', lockHolder: await startLockSession({ locks: tabB.locks }) })
    expect(await removeLocks(repoB)).toEqual([lockA])
    expect((await backend.list('locks')).map(f => f.name).sort()).toEqual([lockC, otherBrowser].sort())

    // (Had tab A's backup gone on, it would now find its lock gone and save no snapshot.)
    release()
    await expect(running).rejects.toBeInstanceOf(LockLostError)
    cPaused.release()
    await runningC
    expect(await backend.list('snapshots')).toHaveLength(1)
  })
})
