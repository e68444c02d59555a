/**
 * Issue #12 item 10: which temporary files of the local backend the next write removes. A live
 * writer's file (another process on this host, or this process) is never touched; a dead writer's
 * at once; one of another host (or the older name format) once unmodified for 30 minutes.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { tempName } from '../../../src/node/restic/temp-files.js'
import { Repository } from '../../../src/restic/index.js'
import { tempDir } from '../../interop/restic/helpers.js'

describe('leftover temporary files of the local backend', () => {
  it('the next write removes dead writers\' and old files, and keeps live writers\' files', async () => {
    const dir = tempDir('temps')
    await Repository.init(new LocalBackend(dir), { password: 'pw', scrypt: { N: 1024, r: 8, p: 1 } })
    const live = spawn('sleep', ['60'])
    const dead = spawnSync(process.execPath, ['-e', '0']).pid
    try {
      const old = (Date.now() - 31 * 60 * 1000) / 1000
      const file = (name: string, age?: number): string => {
        const p = join(dir, 'data', 'ab', name)
        writeFileSync(p, 'partial pack')
        if (age !== undefined) utimesSync(p, age, age)
        return p
      }
      const keep = [
        file(tempName(live.pid)), // a backup running in another process
        file(tempName()), // a concurrent write of this process
        file('.tmp-0badc0de-123-0123456789abcdef'), // another host sharing the folder, still fresh
        file('.tmp-0123456789abcdef'), // the older name format, fresh
        file(tempName(live.pid), old), // a live writer is never judged by age on its own host
        file('.tmpfile-not-ours', old)
      ]
      const gone = [
        file(tempName(dead)),
        file('.tmp-0badc0de-123-fedcba9876543210', old),
        file('.tmp-fedcba9876543210', old)
      ]
      const backend = new LocalBackend(dir)
      await backend.write({ type: 'locks', name: 'f'.repeat(64) }, new Uint8Array([1]))
      for (const p of keep) expect(existsSync(p), p).toBe(true)
      for (const p of gone) expect(existsSync(p), p).toBe(false)
    } finally {
      live.kill()
    }
  })
})
