/** Repository locks, as restic 0.14 takes them (lock files under locks/, refreshed every 5 minutes). */
import type { AbortOptions } from '../../core/options.js'
import { RepositoryLockedError } from '../errors.js'
import type { LockFile } from '../repofile/lock.js'
import { STALE_LOCK_MS } from '../repofile/lock.js'
import { goJsonString } from '../util/go-json.js'
import { timeToDate } from '../util/go-json.js'
import type { Repository } from './repository.js'

const REFRESH_MS = 5 * 60 * 1000
/** restic waits this long after writing its lock and then checks for conflicts again. */
const SETTLE_MS = 200

export interface LockInit {
  exclusive: boolean
  hostname?: string | undefined
  username?: string | undefined
  pid?: number | undefined
}

export interface Lock {
  readonly id: string
  release: () => Promise<void>
}

function encodeLock (l: LockFile): string {
  let s = `{"time":${goJsonString(l.time)},"exclusive":${l.exclusive},"hostname":${goJsonString(l.hostname)},"username":${goJsonString(l.username)},"pid":${l.pid}`
  if (l.uid !== undefined && l.uid !== 0) s += `,"uid":${l.uid}`
  if (l.gid !== undefined && l.gid !== 0) s += `,"gid":${l.gid}`
  return s + '}'
}

async function conflicts (repo: Repository, exclusive: boolean, ownId: string | undefined, options: AbortOptions): Promise<string | undefined> {
  for (const f of await repo.backend.list('locks', options)) {
    if (f.name === ownId) continue
    let lock: LockFile
    try { lock = await repo.loadJSON('locks', f.name, options) as LockFile } catch { continue } // unreadable locks are ignored, like restic 0.14
    if (exclusive || lock.exclusive) {
      const stale = Date.now() - timeToDate(lock.time).getTime() > STALE_LOCK_MS ? ' (stale: older than 30 minutes)' : ''
      return `${lock.exclusive ? 'an exclusive' : 'a'} lock ${f.name.slice(0, 8)} held by ${lock.username}@${lock.hostname} (pid ${lock.pid}) since ${lock.time}${stale}`
    }
  }
  return undefined
}

/** Take a lock; throws `RepositoryLockedError` on conflict. Call `release()` in `finally`. */
export async function lockRepository (repo: Repository, init: LockInit, options: AbortOptions = {}): Promise<Lock> {
  const describe = (c: string): string => `repository ${repo.backend.location} is locked: ${c}. Wait for the other operation to finish; if it crashed, remove the lock with \`restic unlock\`.`
  const before = await conflicts(repo, init.exclusive, undefined, options)
  if (before !== undefined) throw new RepositoryLockedError(describe(before))
  const write = async (): Promise<string> => await repo.saveUnpacked('locks', encodeLock({
    time: new Date().toISOString(), exclusive: init.exclusive, hostname: init.hostname ?? 'cairn', username: init.username ?? '', pid: init.pid ?? 0
  }), options)
  let id = await write()
  await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
  const after = await conflicts(repo, init.exclusive, id, options)
  if (after !== undefined) {
    await repo.backend.remove({ type: 'locks', name: id })
    throw new RepositoryLockedError(describe(after))
  }
  let refreshing = Promise.resolve()
  const timer = setInterval(() => {
    refreshing = refreshing.then(async () => {
      const old = id
      id = await write()
      await repo.backend.remove({ type: 'locks', name: old })
    }).catch(() => {})
  }, REFRESH_MS)
  ;(timer as unknown as { unref?: () => void }).unref?.()
  return {
    get id () { return id },
    release: async () => {
      clearInterval(timer)
      await refreshing
      await repo.backend.remove({ type: 'locks', name: id })
    }
  }
}

/**
 * Remove locks: stale ones (older than 30 minutes) by default, or all with `all` (restic
 * `unlock [--remove-all]`). Returns the removed lock IDs; unreadable locks count as stale.
 */
export async function removeLocks (repo: Repository, options: AbortOptions & { all?: boolean } = {}): Promise<string[]> {
  const removed: string[] = []
  for (const f of await repo.backend.list('locks', options)) {
    let stale = true
    if (options.all !== true) {
      try {
        const lock = await repo.loadJSON('locks', f.name, options) as LockFile
        stale = Date.now() - timeToDate(lock.time).getTime() > STALE_LOCK_MS
      } catch { stale = true }
    }
    if (stale) { await repo.backend.remove({ type: 'locks', name: f.name }, options); removed.push(f.name) }
  }
  return removed
}
