/**
 * Hardening for public storage, read back by real restic 0.14: two Cairn backups of the same tree
 * into two repositories with the same chunker polynomial have different pack layouts (random
 * packers), and restic checks (--read-data) and restores both byte for byte; a key made with the
 * stronger scrypt parameters for IPFS-hosted repositories (N=2^17) opens in restic, and the time
 * restic takes to open it is printed.
 */
import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { FsSource } from '../../../src/node/restic/fs-source.js'
import { Repository } from '../../../src/restic/repository/repository.js'
import { backup } from '../../../src/restic/archiver/archiver.js'
import { PUBLIC_STORAGE_SCRYPT } from '../../../src/restic/crypto/kdf.js'
import { PASSWORD, SKIP, makeSourceTree, requireRestic, restic, snapshotOf, tempDir } from './helpers.js'

const POL = '3DA3358B4DC173'

describe.skipIf(SKIP)('restic 0.14 reads repositories hardened for public storage', () => {
  let root: string
  let src: string
  const repos: string[] = []

  beforeAll(async () => {
    requireRestic()
    root = tempDir('interop-public')
    src = makeSourceTree(root)
    for (const name of ['a', 'b']) {
      const dir = join(root, name)
      const repo = await Repository.init(new LocalBackend(dir), { password: PASSWORD, scrypt: PUBLIC_STORAGE_SCRYPT, chunkerPolynomial: POL, hostname: 'cairn-test' })
      // Small packs, so the tree fills many of them.
      await backup(repo, new FsSource([src]), { hostname: 'cairn-test', packSize: 2 * 1024 * 1024 })
      repos.push(dir)
    }
  }, 300_000)

  afterAll(() => { if (root !== undefined) rmSync(root, { recursive: true, force: true }) })

  it('the keys carry N=2^17, r=8, p=1 and restic opens them', () => {
    for (const dir of repos) {
      const keys = readdirSync(join(dir, 'keys')).map(k => JSON.parse(readFileSync(join(dir, 'keys', k), 'utf8')) as { N: number, r: number, p: number })
      expect(keys.map(k => [k.N, k.r, k.p])).toEqual([[131072, 8, 1]])
      const t = performance.now()
      const snaps = JSON.parse(restic(['snapshots', '--json', '--no-lock'], { repo: dir }).stdout) as unknown[]
      console.log(`restic 0.14 snapshots with an N=2^17 key: ${Math.round(performance.now() - t)} ms`)
      expect(snaps).toHaveLength(1)
    }
  })

  it('the two pack layouts differ; restic checks --read-data and restores both identically', () => {
    const layout = (dir: string): string[] => {
      const out = restic(['list', 'blobs'], { repo: dir }).stdout
      // Data blobs only: trees hold times that differ between the two runs (access times).
      const lines = out.trim().split('\n').filter(l => l.startsWith('data '))
      expect(lines.length).toBeGreaterThan(20)
      return lines.sort()
    }
    // `list blobs` names type and blob ID only: the same data blobs in both.
    expect(layout(repos[0]!)).toEqual(layout(repos[1]!))
    const packsOf = (dir: string): string[] => {
      const idx = JSON.parse(restic(['cat', 'index', readdirSync(join(dir, 'index'))[0]!], { repo: dir }).stdout) as { packs: Array<{ blobs: Array<{ id: string, type: string }> }> }
      return idx.packs.filter(p => p.blobs[0]?.type === 'data').map(p => p.blobs.map(b => b.id).join(',')).sort()
    }
    expect(packsOf(repos[0]!)).not.toEqual(packsOf(repos[1]!))
    for (const [i, dir] of repos.entries()) {
      expect(restic(['check', '--read-data'], { repo: dir }).stdout).toMatch(/no errors were found/)
      const target = join(root, `restored-${i}`)
      restic(['restore', 'latest', '--target', target], { repo: dir })
      expect(snapshotOf(join(target, src))).toEqual(snapshotOf(src))
    }
  })
})
