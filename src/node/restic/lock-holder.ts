/**
 * The lock identity of a Node process, as restic records its own: host name, user, pid, uid, gid.
 * A lock is gone when it names this host and no process with its pid exists (restic's rule).
 */
import { hostname, userInfo } from 'node:os'
import type { LockFile, LockHolder } from '../../restic/repofile/lock.js'

/**
 * Whether a process with this pid runs on this machine. Signal 0 only checks (restic 0.14 sends
 * SIGHUP instead, which is why the CLI ignores SIGHUP). EPERM means it exists under another user:
 * alive (restic would take it for dead).
 */
export function processExists (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function processLockHolder (): LockHolder {
  let username = ''
  try { username = userInfo().username } catch { /* no passwd entry: restic writes "" too */ }
  const host = hostname()
  return {
    owner: { hostname: host, username, pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() },
    isGone: (lock: LockFile) => lock.hostname === host && !processExists(lock.pid)
  }
}
