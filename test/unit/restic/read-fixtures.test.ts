import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { Repository } from '../../../src/restic/repository/repository.js'
import { findSnapshot, listSnapshots } from '../../../src/restic/ops/snapshots.js'
import { restore } from '../../../src/restic/restorer/restorer.js'
import { MemorySink } from '../../../src/restic/restorer/sink.js'
import { walk } from '../../../src/restic/ops/tree-walk.js'
import { encodeTree, parseTree } from '../../../src/restic/repofile/tree.js'
import { WrongPasswordError } from '../../../src/restic/errors.js'
import { FIXTURES, manifest } from './helpers.js'
import { readFileSync, readdirSync } from 'node:fs'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe.each(['v1', 'v2'] as const)('reading fixture %s (written by restic 0.14)', (v) => {
  const m = manifest(v)
  let shared: Promise<Repository> | undefined
  const open = async (): Promise<Repository> => await (shared ??= Repository.open(new LocalBackend(`${FIXTURES}${v}/repo`), { password: m.password }))

  it('opens with the password, reads config and master key', async () => {
    const repo = await open()
    expect(repo.config).toEqual(m.config)
    expect(repo.key.toJSON()).toEqual(m.master_key)
    await expect(Repository.open(new LocalBackend(`${FIXTURES}${v}/repo`), { password: 'wrong' })).rejects.toBeInstanceOf(WrongPasswordError)
  })

  it('lists snapshots and resolves IDs, short IDs and latest', async () => {
    const repo = await open()
    const snaps = await listSnapshots(repo)
    expect(snaps.map(s => s.id)).toEqual(m.snapshots.map(s => s.id))
    expect(snaps.map(s => [s.tree, s.hostname, s.tags, s.paths, s.parent ?? null])).toEqual(m.snapshots.map(s => [s.tree, s.hostname, s.tags, s.paths, s.parent]))
    const last = m.snapshots[m.snapshots.length - 1]!
    expect((await findSnapshot(repo, 'latest')).id).toBe(last.id)
    expect((await findSnapshot(repo, last.short_id)).id).toBe(last.id)
  })

  it('re-encodes every tree byte-for-byte as restic wrote it', async () => {
    const repo = await open()
    await repo.loadIndex()
    const dumps = readdirSync(`${FIXTURES}${v}/dumps/trees`)
    expect(dumps.length).toBeGreaterThan(0)
    for (const f of dumps) {
      const id = f.replace(/\.json$/, '')
      const raw = await repo.loadBlob('tree', id)
      expect(sha(raw)).toBe(id)
      expect(raw).toEqual(new Uint8Array(readFileSync(`${FIXTURES}${v}/dumps/trees/${f}`)))
      expect(sha(encodeTree(parseTree(raw).nodes))).toBe(id)
    }
  })

  it.each(m.snapshots.map(s => [s.short_id, s] as const))('restores snapshot %s byte-for-byte per the manifest', async (_short, snap) => {
    const repo = await open()
    const sink = new MemorySink()
    const s = await findSnapshot(repo, snap.id)
    const result = await restore(repo, s, sink)
    const prefix = snap.path_prefix_in_tree.replace(/^\//, '')
    for (const [rel, f] of Object.entries(snap.files)) {
      const e = sink.entries.get(`${prefix}/${rel}`)
      expect(e, rel).toBeDefined()
      expect(e!.node.type).toBe(f.type)
      expect(e!.metadataSet).toBe(true)
      if (f.type === 'file') {
        expect(e!.data!.length).toBe(f.size)
        expect(sha(e!.data!)).toBe(f.sha256)
        expect(e!.node.content).toEqual(f.blobs)
        expect(e!.node.mode).toBe(420)
      } else if (f.type === 'symlink') {
        expect(e!.node.linktarget).toBe(f.linktarget)
      }
    }
    expect(result.files).toBe(Object.values(snap.files).filter(f => f.type === 'file').length)
  })

  it('restores a subtree and a single file', async () => {
    const repo = await open()
    const snap = m.snapshots[0]!
    const s = await findSnapshot(repo, snap.id)
    const sub = new MemorySink()
    await restore(repo, s, sub, { path: `${snap.path_prefix_in_tree}/nested` })
    expect([...sub.entries.keys()].sort()).toEqual(['deeper', 'deeper/deep.txt', 'sibling.txt'])
    expect(sha(sub.entries.get('deeper/deep.txt')!.data!)).toBe(snap.files['nested/deeper/deep.txt']!.sha256)
    const one = new MemorySink()
    await restore(repo, s, one, { path: `${snap.path_prefix_in_tree}/hello.txt` })
    expect([...one.entries.keys()]).toEqual(['hello.txt'])
    expect(new TextDecoder().decode(one.entries.get('hello.txt')!.data)).toBe('Hello, restic!\n')
  })

  it('walks the tree like `restic ls`', async () => {
    const repo = await open()
    await repo.loadIndex()
    const snap = m.snapshots[0]!
    const paths: string[] = []
    for await (const e of walk(repo, snap.tree)) paths.push('/' + e.path.join('/'))
    const expected = readFileSync(`${FIXTURES}${v}/dumps/snapshots/${snap.id}.ls.jsonl`, 'utf8').trim().split('\n').slice(1).map(l => (JSON.parse(l) as { path: string }).path)
    expect(paths).toEqual(expected)
  })
})
