/** Lock files (`locks/<id>`). */
import { goJsonString } from '../util/go-json.js'

export interface LockFile {
  time: string
  exclusive: boolean
  hostname: string
  username: string
  pid: number
  uid?: number
  gid?: number
}

/** restic treats locks older than 30 minutes as stale. */
export const STALE_LOCK_MS = 30 * 60 * 1000

/** Who writes a lock: the fields restic records (and judges staleness by). */
export interface LockOwner {
  hostname: string
  username: string
  /** Nonzero: restic 0.14 takes pid 0 for a dead process (Go refuses to signal it). */
  pid: number
  uid?: number | undefined
  gid?: number | undefined
}

/**
 * The lock identity of this process, and how it tells that another lock's holder is gone.
 * The CLI: the real host, user and pid, and "same host, no such process" (restic's rule).
 * The page: a host name no machine has and a pid per tab session, gone when that tab is.
 */
export interface LockHolder {
  readonly owner: LockOwner
  /** True when the process that wrote `lock` is known not to run any more. */
  isGone?: ((lock: LockFile, id: string) => boolean | Promise<boolean>) | undefined
}

/** Go's JSON of a lock, as restic writes it (uid and gid omitted when zero). */
export function encodeLock (l: LockFile): string {
  const q = goJsonString
  let s = `{"time":${q(l.time)},"exclusive":${l.exclusive},"hostname":${q(l.hostname)},"username":${q(l.username)},"pid":${l.pid}`
  if (l.uid !== undefined && l.uid !== 0) s += `,"uid":${l.uid}`
  if (l.gid !== undefined && l.gid !== 0) s += `,"gid":${l.gid}`
  return s + '}'
}
