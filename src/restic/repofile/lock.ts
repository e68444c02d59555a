/** Lock files (`locks/<id>`). */
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
