/**
 * Temporary files of the local backend. A file is written as `.tmp-<host>-<pid>-<random>` next to
 * its final name and renamed when complete, so a process killed mid-write leaves the temporary
 * file behind (restic never does: it builds packs in a local temp folder first).
 *
 * Which leftovers are removed (by the next write of any process):
 * - named with this host and the pid of a process that no longer runs: its writer is dead;
 * - any other (another host sharing the folder, another user's process, the older `.tmp-<random>`
 *   names) once unmodified for 30 minutes: a live writer writes a whole pack in seconds and renames
 *   it at once, so a file untouched that long has no writer (restic's 30 minutes for locks).
 * Never: a temporary file of a live process on this host, or of this process (a concurrent write).
 */
import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { readdir, stat, unlink } from 'node:fs/promises'
import { processExists } from './lock-holder.js'

/** How long a temporary file of another host must stay unmodified before it counts as left behind. */
export const TEMP_STALE_MS = 30 * 60 * 1000

const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
const PATTERN = /^\.tmp-(?:([0-9a-f]{8})-(\d+)-)?[0-9a-f]{16}$/

/** A fresh temporary name for a file being written by this process (or, in tests, by `pid` on this host). */
export function tempName (pid = process.pid): string {
  return `.tmp-${HOST}-${pid}-${randomBytes(8).toString('hex')}`
}

/** Whether `name` is a temporary file that no live writer can still be writing. */
export function isLeftover (name: string, mtimeMs: number, now = Date.now()): boolean {
  const m = PATTERN.exec(name)
  if (m === null) return false
  const pid = m[2] === undefined ? undefined : Number(m[2])
  // On this host the pid decides: a live process may still be writing it, however old it is (a
  // reused pid only delays the removal until that process ends).
  if (m[1] === HOST && pid !== undefined) return pid !== process.pid && !processExists(pid)
  return now - mtimeMs > TEMP_STALE_MS
}

/** Remove the left-behind temporary files in these folders; returns their paths. */
export async function removeLeftoverTemps (dirs: readonly string[]): Promise<string[]> {
  const removed: string[] = []
  for (const dir of dirs) {
    let names: string[]
    try { names = await readdir(dir) } catch { continue }
    for (const name of names) {
      if (!name.startsWith('.tmp-')) continue
      const path = join(dir, name)
      try {
        if (!isLeftover(name, (await stat(path)).mtimeMs)) continue
        await unlink(path)
        removed.push(path)
      } catch { /* renamed or removed meanwhile */ }
    }
  }
  return removed
}
