import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { Repository, MemorySource, backup, forget, prune, addKey } from '../../../src/restic/index.js'
import type { Backend } from '../../../src/restic/index.js'
import { PASSWORD, SKIP, prng, requireRestic, restic, tempDir } from './helpers.js'

const FAST = { N: 16384, r: 8, p: 1 }

describe.skipIf(SKIP)('restic accepts repositories after Cairn operations', () => {
  let root: string
  beforeAll(() => { requireRestic(); root = tempDir('interop-ops') })
  afterAll(() => { if (root !== undefined) rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })

  it('a version 1 repository (no compression) written by Cairn passes check --read-data', async () => {
    const dir = join(root, 'v1')
    const repo = await Repository.init(new LocalBackend(dir), { password: PASSWORD, version: 1, scrypt: FAST })
    await backup(repo, new MemorySource({ data: { 'a.bin': prng('v1', 1_100_000), 'b.txt': new TextEncoder().encode('v1 text') } }, ['/data']), { hostname: 'h' })
    expect(restic(['check', '--read-data'], { repo: dir }).stdout).toMatch(/no errors were found/)
    expect(restic(['cat', 'config'], { repo: dir }).stdout).toMatch(/"version": 1/)
  })

  it('after forget + prune (with repacking), restic check --read-data passes and restic restores the rest', async () => {
    const dir = join(root, 'pruned')
    const repo = await Repository.init(new LocalBackend(dir), { password: PASSWORD, scrypt: FAST })
    for (let i = 0; i < 3; i++) {
      const r = i === 0 ? repo : await Repository.open(new LocalBackend(dir), { password: PASSWORD })
      await backup(r, new MemorySource({ data: { [`f${i}.bin`]: prng(`p${i}`, 400_000), 'keep.txt': new TextEncoder().encode('kept') } }, ['/data']), {
        hostname: 'h', time: new Date(Date.UTC(2024, 0, 1 + i)), packSize: 1_000_000, parent: false
      })
    }
    await forget(await Repository.open(new LocalBackend(dir), { password: PASSWORD }), { last: 1 })
    const res = await prune(await Repository.open(new LocalBackend(dir), { password: PASSWORD }), { packSize: 1_000_000 })
    expect(res.packsRepacked + res.packsRemoved).toBeGreaterThan(0)
    expect(restic(['check', '--read-data'], { repo: dir }).stdout).toMatch(/no errors were found/)
    const target = join(root, 'pruned-out')
    restic(['restore', 'latest', '--target', target], { repo: dir })
    // restic's own prune finds nothing left to remove.
    const rp = restic(['prune', '--dry-run'], { repo: dir }).stdout
    expect(rp).toMatch(/total prune:\s+0 blobs \/ 0 B/)
    expect(rp).toMatch(/to repack:\s+0 blobs \/ 0 B/)
  })

  it('an interrupted backup leaves a repository restic accepts; a new key opens it in restic', async () => {
    const dir = join(root, 'interrupted')
    const backend: Backend = new LocalBackend(dir)
    const repo = await Repository.init(backend, { password: PASSWORD, scrypt: FAST })
    const write = backend.write.bind(backend)
    let writes = 0
    backend.write = async (h, data, o) => {
      if (h.type === 'data' && ++writes === 2) throw new Error('simulated crash after one pack')
      await write(h, data, o)
    }
    await expect(backup(repo, new MemorySource({ d: { 'x.bin': prng('x', 1_500_000), 'y.bin': prng('y', 1_500_000) } }, ['/d']), { hostname: 'h', packSize: 700_000 })).rejects.toThrow(/simulated crash/)
    const c = restic(['check', '--read-data'], { repo: dir, allowFail: true })
    expect(c.status).toBe(0)
    // The lock was released even though the backup failed.
    expect(restic(['list', 'locks', '--no-lock'], { repo: dir }).stdout.trim()).toBe('')
    await addKey(await Repository.open(new LocalBackend(dir), { password: PASSWORD }), 'second password', { scrypt: FAST })
    const r = spawnSync(requireRestic(), ['-r', dir, 'key', 'list'], { env: { ...process.env, RESTIC_PASSWORD: 'second password' }, encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout.match(/[0-9a-f]{8}/g)?.length).toBe(2)
  })
})
