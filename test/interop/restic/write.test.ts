import { writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { FsSource } from '../../../src/node/restic/fs-source.js'
import { FsSink } from '../../../src/node/restic/fs-sink.js'
import { Repository } from '../../../src/restic/repository/repository.js'
import { backup } from '../../../src/restic/archiver/archiver.js'
import { restore } from '../../../src/restic/restorer/restorer.js'
import { findSnapshot } from '../../../src/restic/ops/snapshots.js'
import { findNode, splitPath } from '../../../src/restic/ops/tree-walk.js'
import { PASSWORD, SKIP, makeSourceTree, requireRestic, restic, snapshotOf, tempDir } from './helpers.js'

const FAST_SCRYPT = { N: 16384, r: 8, p: 1 }

describe.skipIf(SKIP)('restic reads what Cairn writes', () => {
  let root: string
  let src: string
  let repoDir: string
  let snapshotId: string
  let resticSnapshotId: string
  let beforeChange: Record<string, string>

  beforeAll(async () => {
    requireRestic()
    root = tempDir('interop-write')
    src = makeSourceTree(root)
    repoDir = join(root, 'repo')
    const repo = await Repository.init(new LocalBackend(repoDir), { password: PASSWORD, scrypt: FAST_SCRYPT, hostname: 'cairn-test' })
    const summary = await backup(repo, new FsSource([src]), { hostname: 'cairn-test', tags: ['interop'] })
    snapshotId = summary.snapshotId
  })

  afterAll(() => { if (root !== undefined) rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })

  it('restic is installed', () => {
    expect(requireRestic()).toMatch(/restic$/)
  })

  it('passes `restic check --read-data`', () => {
    const r = restic(['check', '--read-data'], { repo: repoDir })
    expect(r.stdout).toMatch(/no errors were found/)
  })

  it('`restic snapshots` shows our snapshot with host, tags and paths', () => {
    const snaps = JSON.parse(restic(['snapshots', '--json'], { repo: repoDir }).stdout) as Array<{ id: string, hostname: string, tags: string[], paths: string[] }>
    expect(snaps).toHaveLength(1)
    expect(snaps[0]).toMatchObject({ id: snapshotId, hostname: 'cairn-test', tags: ['interop'], paths: [src] })
  })

  it('`restic restore` gives identical bytes, modes, mtimes and links', () => {
    const target = join(root, 'restored-by-restic')
    restic(['restore', snapshotId, '--target', target], { repo: repoDir })
    expect(snapshotOf(join(target, src))).toEqual(snapshotOf(src))
  })

  it('`restic backup --force` of the same files adds no data blobs (identical chunking)', () => {
    const r = restic(['backup', '--force', '--json', '--host', 'cairn-test', src], { repo: repoDir })
    const summary = r.stdout.trim().split('\n').map(l => JSON.parse(l) as { message_type: string, data_blobs?: number, tree_blobs?: number, snapshot_id?: string }).find(m => m.message_type === 'summary')
    expect(summary).toBeDefined()
    expect(summary!.data_blobs).toBe(0)
    resticSnapshotId = summary!.snapshot_id!
    beforeChange = snapshotOf(src)
  })

  it('our trees are byte-identical to restic\'s for the same files (odd names, modes, times)', async () => {
    const repo = await Repository.open(new LocalBackend(repoDir), { password: PASSWORD })
    await repo.loadIndex()
    const ours = await findNode(repo, (await findSnapshot(repo, snapshotId)).tree, splitPath(src))
    const theirs = await findNode(repo, (await findSnapshot(repo, resticSnapshotId)).tree, splitPath(src))
    expect(ours.subtree).toBeDefined()
    expect(ours.subtree).toBe(theirs.subtree)
  })

  it('Cairn restores the snapshot restic wrote into the same repository', async () => {
    const repo = await Repository.open(new LocalBackend(repoDir), { password: PASSWORD })
    const target = join(root, 'restic-snapshot-by-cairn')
    await restore(repo, await findSnapshot(repo, resticSnapshotId.slice(0, 8)), new FsSink(target))
    expect(snapshotOf(join(target, src))).toEqual(beforeChange)
  })

  it('a second Cairn backup reuses the parent, restic still checks, and Cairn restores it', async () => {
    writeFileSync(join(src, 'hello.txt'), 'Hello again, restic!\n')
    const repo = await Repository.open(new LocalBackend(repoDir), { password: PASSWORD })
    const s2 = await backup(repo, new FsSource([src]), { hostname: 'cairn-test' })
    expect(s2.parent).toBeDefined()
    expect(s2.filesUnmodified).toBeGreaterThan(10)
    expect(s2.filesChanged).toBe(1)
    expect(s2.dataBlobs).toBe(1)
    restic(['check', '--read-data'], { repo: repoDir })
    // Cairn restores the latest snapshot (ours) and matches the source.
    const target = join(root, 'restored-by-cairn')
    const reopened = await Repository.open(new LocalBackend(repoDir), { password: PASSWORD })
    await restore(reopened, await findSnapshot(reopened, 'latest'), new FsSink(target))
    expect(snapshotOf(join(target, src))).toEqual(snapshotOf(src))
  })
})
