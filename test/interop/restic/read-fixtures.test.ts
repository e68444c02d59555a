import { chmodSync, cpSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { FsSink } from '../../../src/node/restic/fs-sink.js'
import { Repository, findSnapshot, restore } from '../../../src/restic/index.js'
import { SKIP, requireRestic, snapshotOf, tempDir } from './helpers.js'
import { FIXTURES, manifest } from '../../unit/restic/helpers.js'
import { spawnSync } from 'node:child_process'

describe.skipIf(SKIP).each(['v1', 'v2'] as const)('Cairn restores fixture %s exactly like restic does', (v) => {
  const m = manifest(v)
  let root: string
  beforeAll(() => {
    requireRestic()
    root = tempDir(`interop-read-${v}`)
    // restic writes a lock while restoring, so work on a copy.
    cpSync(join(FIXTURES, v, 'repo'), join(root, 'repo'), { recursive: true })
    const fix = (p: string): void => { for (const n of readdirSync(p)) { const f = join(p, n); const d = statSync(f).isDirectory(); chmodSync(f, d ? 0o700 : 0o600); if (d) fix(f) } }
    fix(join(root, 'repo'))
  })
  afterAll(() => { if (root !== undefined) rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })

  it.each(m.snapshots.map(s => [s.short_id] as const))('snapshot %s: bytes, modes, mtimes and links', async (shortId) => {
    const ours = join(root, `cairn-${shortId}`)
    const theirs = join(root, `restic-${shortId}`)
    const repo = await Repository.open(new LocalBackend(join(root, 'repo')), { password: m.password })
    await restore(repo, await findSnapshot(repo, shortId), new FsSink(ours))
    const r = spawnSync(requireRestic(), ['-r', join(root, 'repo'), 'restore', shortId, '--target', theirs], { env: { ...process.env, RESTIC_PASSWORD: m.password, RESTIC_CACHE_DIR: join(root, 'cache') }, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const a = snapshotOf(ours)
    expect(Object.keys(a).length).toBeGreaterThan(10)
    expect(a).toEqual(snapshotOf(theirs))
  })
})
