/**
 * Repository locks, as restic 0.14 takes them: lock files under locks/, with the holder's host,
 * user and pid, refreshed every 5 minutes (a new file, then the old one removed).
 *
 * A lock is stale when it is older than 30 minutes, when its holder is known to be gone
 * (`LockHolder.isGone`: restic's "same host, no such process"), or when it carries this process's
 * own host and pid but no `Lock` of this process holds it (left behind by a release that failed,
 * e.g. on a full disk). Stale locks of this process are removed before locking.
 */
import type { AbortOptions } from '../../core/options.js'
import { LockLostError, NotFoundError, RepositoryLockedError } from '../errors.js'
import type { LockFile, LockHolder } from '../repofile/lock.js'
import { encodeLock, STALE_LOCK_MS } from '../repofile/lock.js'
import { timeToDate } from '../util/go-json.js'
import type { Repository } from './repository.js'

const REFRESH_MS = 5 * 60 * 1000
/** restic waits this long after writing its lock and then checks for conflicts again. */
const SETTLE_MS = 200

/** IDs of the lock files held by `Lock` objects of this process (this tab, in the page). */
const held = new Set<string>()

export interface LockInit {
  exclusive: boolean
}

export interface Lock {
  readonly id: string
  /**
   * Throws `LockLostError` when the lock file is gone (removed by `restic unlock` or another
   * client, so another process may have locked and changed the repository meanwhile): call it
   * before writing what must not outlive the lock.
   */
  check: (options?: AbortOptions) => Promise<void>
  /** Removes the lock file; never throws (a lock left behind is stale for everyone, see above). Resolves false if it stayed. */
  release: () => Promise<boolean>
}

/** The lock, or undefined when it is unreadable (ignored, like restic 0.14) or removed meanwhile. */
async function readLock (repo: Repository, id: string, options: AbortOptions): Promise<LockFile | undefined> {
  try { return await repo.loadJSON('locks', id, options) as LockFile } catch {
    options.signal?.throwIfAborted()
    return undefined
  }
}

/** A lock with this process's host and pid that no `Lock` here holds: its release failed. */
function isOwnLeftover (holder: LockHolder, lock: LockFile, id: string): boolean {
  return lock.hostname === holder.owner.hostname && lock.pid === holder.owner.pid && !held.has(id)
}

/** Why `lock` is stale, or undefined when it may be live. */
async function staleness (holder: LockHolder, lock: LockFile, id: string): Promise<string | undefined> {
  if (Date.now() - timeToDate(lock.time).getTime() > STALE_LOCK_MS) return 'older than 30 minutes'
  if (isOwnLeftover(holder, lock, id)) return 'left behind by this process'
  if (await holder.isGone?.(lock, id) === true) return 'its process is gone'
  return undefined
}

async function conflicts (repo: Repository, exclusive: boolean, own: string | undefined, options: AbortOptions): Promise<string | undefined> {
  for (const f of await repo.backend.list('locks', options)) {
    if (f.name === own) continue
    const lock = await readLock(repo, f.name, options)
    if (lock === undefined) continue
    if (isOwnLeftover(repo.lockHolder, lock, f.name)) {
      await repo.backend.remove({ type: 'locks', name: f.name }, options)
      continue
    }
    if (exclusive || lock.exclusive) {
      const why = await staleness(repo.lockHolder, lock, f.name)
      return `${lock.exclusive ? 'an exclusive' : 'a'} lock ${f.name.slice(0, 8)} held by ${lock.username}@${lock.hostname} (pid ${lock.pid}) since ${lock.time}${why !== undefined ? ` (stale: ${why})` : ''}`
    }
  }
  return undefined
}

/** Take a lock; throws `RepositoryLockedError` on conflict. Call `release()` in `finally`. */
export async function lockRepository (repo: Repository, init: LockInit, options: AbortOptions = {}): Promise<Lock> {
  const describe = (c: string): string => `repository ${repo.backend.location} is locked: ${c}. Wait for the other operation to finish; if it crashed, remove the lock with \`cairn restic unlock\` (or \`restic unlock\`).`
  const before = await conflicts(repo, init.exclusive, undefined, options)
  if (before !== undefined) throw new RepositoryLockedError(describe(before))
  const { owner } = repo.lockHolder
  const write = async (): Promise<string> => {
    const id = await repo.saveUnpacked('locks', encodeLock({
      time: new Date().toISOString(), exclusive: init.exclusive, hostname: owner.hostname, username: owner.username, pid: owner.pid, uid: owner.uid, gid: owner.gid
    }), options)
    held.add(id)
    return id
  }
  let id = await write()
  /** Not held any more, even when the removal fails: the file left behind is then an own leftover. */
  const removeOwn = async (name: string): Promise<boolean> => {
    held.delete(name)
    try {
      await repo.backend.remove({ type: 'locks', name })
      return true
    } catch { return false }
  }
  await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
  const after = await conflicts(repo, init.exclusive, id, options)
  if (after !== undefined) {
    await removeOwn(id)
    throw new RepositoryLockedError(describe(after))
  }
  /** Set when the lock file vanished under us: sticky, the lock is never re-created. */
  let lost: string | undefined
  const present = async (name: string, opts: AbortOptions): Promise<boolean> => {
    try { await repo.backend.stat({ type: 'locks', name }, opts); return true } catch (err) {
      if (err instanceof NotFoundError) return false
      throw err
    }
  }
  let refreshing = Promise.resolve()
  const timer = setInterval(() => {
    refreshing = refreshing.then(async () => {
      if (lost !== undefined) return
      const old = id
      if (!await present(old, {})) { lost = `lock ${old.slice(0, 8)} was removed`; return }
      id = await write()
      await removeOwn(old)
    }).catch(() => {})
  }, REFRESH_MS)
  ;(timer as unknown as { unref?: () => void }).unref?.()
  const fail = (what: string): never => {
    throw new LockLostError(`the lock on ${repo.backend.location} was lost while this operation ran: ${what} (by \`restic unlock\`, or another client that took it for stale). Nothing more was written, so no snapshot was saved and nothing was deleted. Another process may have removed data meanwhile: run \`cairn restic check\` (in the page: Check), then try again.`)
  }
  return {
    get id () { return id },
    check: async (opts: AbortOptions = {}) => {
      await refreshing
      if (lost !== undefined) fail(lost)
      if (!await present(id, opts)) { lost = `lock ${id.slice(0, 8)} was removed`; fail(lost) }
    },
    release: async () => {
      clearInterval(timer)
      await refreshing
      if (lost !== undefined) { held.delete(id); return true }
      return await removeOwn(id)
    }
  }
}

/**
 * Remove locks: stale ones by default (older than 30 minutes, of a holder known to be gone, or
 * left behind by this process), or all with `all` (restic `unlock [--remove-all]`). Returns the
 * removed lock IDs; unreadable locks count as stale.
 */
export async function removeLocks (repo: Repository, options: AbortOptions & { all?: boolean } = {}): Promise<string[]> {
  const removed: string[] = []
  for (const f of await repo.backend.list('locks', options)) {
    let stale = true
    if (options.all !== true) {
      const lock = await readLock(repo, f.name, options)
      stale = lock === undefined || await staleness(repo.lockHolder, lock, f.name) !== undefined
    }
    if (stale) {
      await repo.backend.remove({ type: 'locks', name: f.name }, options)
      held.delete(f.name)
      removed.push(f.name)
    }
  }
  return removed
}
