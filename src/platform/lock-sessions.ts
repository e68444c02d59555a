/**
 * This tab's identity in restic lock files, and which earlier tabs of this browser are gone.
 *
 * restic records host name and pid in a lock and takes a lock for stale when it is older than 30
 * minutes, or when it names restic's own host and that pid does not run. A page has no pid, so each
 * tab session draws one (nonzero, random) and writes it with a host name no machine has
 * (`cairn-browser`): restic then judges the page's locks by their age only, and the page refreshes
 * them every 5 minutes like restic.
 *
 * For the page itself, a session holds the Web Lock `cairn:restic-session:<pid>` while the tab
 * lives, and its pid is kept in IndexedDB. A lock with this host name and a pid of this browser
 * whose Web Lock nobody holds was written by a tab that is closed (or crashed): it is stale. A pid
 * this browser never issued (another browser's tab) is judged by age only.
 */
import { openDB } from 'idb'
import type { IDBPDatabase } from 'idb'

/** The host name in the page's lock files: not the name of any machine that runs restic. */
export const PAGE_LOCK_HOST = 'cairn-browser'
const DB_NAME = 'cairn/restic-sessions/v1'
/** A dead session's pid is forgotten this long after it was first seen dead (its locks are stale by age by then). */
const FORGET_AFTER_MS = 30 * 60 * 1000

export interface PageLockHolder {
  readonly owner: { hostname: string, username: string, pid: number }
  isGone: (lock: { hostname: string, pid: number }) => Promise<boolean>
}

interface SessionRecord { pid: number, startedAt: number, deadSince?: number | undefined }

export interface LockSessionDeps {
  locks?: Pick<LockManager, 'request' | 'query'> | undefined
  /** The database to keep session pids in (default: this origin's IndexedDB). */
  db?: IDBPDatabase | undefined
}

const lockName = (pid: number): string => `cairn:restic-session:${pid}`

async function openSessions (): Promise<IDBPDatabase> {
  return await openDB(DB_NAME, 1, { upgrade (d) { d.createObjectStore('sessions', { keyPath: 'pid' }) } })
}

/** Start this tab's session: hold its Web Lock for the tab's life and register its pid. */
export async function startLockSession (deps: LockSessionDeps = {}): Promise<PageLockHolder> {
  const locks = 'locks' in deps ? deps.locks : globalThis.navigator?.locks
  // Without IndexedDB (a private window may refuse it) no earlier session is known: age only.
  const db = deps.db ?? await openSessions().catch(() => undefined)
  const pid = 1 + (crypto.getRandomValues(new Uint32Array(1))[0] as number) % 0x7ffffffe
  if (locks !== undefined) {
    await new Promise<void>((granted) => {
      void locks.request(lockName(pid), async () => { granted(); await new Promise(() => {}) })
    })
  }
  const held = async (): Promise<Set<string>> => new Set(((await locks?.query())?.held ?? []).map(l => l.name ?? ''))
  // Forget sessions that have been dead long enough; note when others were first seen dead.
  const live = await held()
  for (const rec of await db?.getAll('sessions') as SessionRecord[] | undefined ?? []) {
    if (live.has(lockName(rec.pid))) continue
    if (rec.deadSince === undefined) await db?.put('sessions', { ...rec, deadSince: Date.now() })
    else if (Date.now() - rec.deadSince > FORGET_AFTER_MS) await db?.delete('sessions', rec.pid)
  }
  await db?.put('sessions', { pid, startedAt: Date.now() } satisfies SessionRecord)
  return {
    owner: { hostname: PAGE_LOCK_HOST, username: '', pid },
    async isGone (lock) {
      // Without Web Locks nothing tells a closed tab from an open one: judge by age only.
      if (locks === undefined || db === undefined || lock.hostname !== PAGE_LOCK_HOST || lock.pid === pid) return false
      if (await db.get('sessions', lock.pid) === undefined) return false
      return !(await held()).has(lockName(lock.pid))
    }
  }
}
