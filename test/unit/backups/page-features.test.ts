/**
 * The Backups page's app-level functions of issue #16, in Node against a real restic repository
 * (memory backend) and the real restorer: one restore of several picked entries (plan, folder
 * target, tar), find across snapshots, the snapshot diff, the table's sorting and filtering, the
 * restore progress, and a damaged snapshot file named (not hiding the others).
 * The page itself is driven in Chromium by playwright/specs/backups-features.spec.ts.
 */
import 'fake-indexeddb/auto'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createBackupsContext } from '../../../src/app/backups/session.js'
import { restoreActions } from '../../../src/app/backups/restore.js'
import { findActions } from '../../../src/app/backups/find.js'
import { diffActions, changeKind } from '../../../src/app/backups/diff.js'
import { planRestore, restoreMeter } from '../../../src/app/backups/restore-plan.js'
import { nextSort, snapshotFacets, viewSnapshots } from '../../../src/app/backups/snapshot-table.js'
import { ZipSink } from '../../../src/platform/restic-sinks.js'
import { tarFromEntries } from '../../../src/platform/restic-tar.js'
import { MemoryBackend, MemorySource, Repository, backup, listSnapshots, restore } from '../../../src/restic/index.js'
import type { MemoryTree } from '../../../src/restic/index.js'
import { writeCraftedSnapshot } from '../restic/hostile.js'
import type { BackupsContext } from '../../../src/app/backups/session.js'
import type { NodeService } from '../../../src/app/node-service.js'
import type { NamesService } from '../../../src/app/names-service.js'
import type { KeepersService } from '../../../src/app/keepers-service.js'
import type { IpfsBackend } from '../../../src/ipfs/restic-backend/index.js'
import type { SnapshotRow } from '../../../src/app/backups/types.js'
import type { TransferProgress } from '../../../src/app/progress.js'

const fast = { N: 1024, r: 8, p: 1 }
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 9)) & 0xff)

const BIG = bytes(1_400_000, 5)
const FIRST: MemoryTree = {
  docs: { 'a.txt': enc('alpha'), 'b.txt': enc('beta'), sub: { 'c.bin': BIG, 'd.txt': enc('delta') } },
  photos: { 'x.jpg': bytes(3000, 1), 'y.JPG': bytes(2000, 2) },
  'top.txt': enc('top')
}
const SECOND: MemoryTree = {
  docs: { 'a.txt': enc('alpha, edited'), sub: { 'c.bin': BIG, 'd.txt': enc('delta') }, 'new.md': enc('# new') },
  photos: { 'x.jpg': bytes(3000, 1), 'y.JPG': bytes(2000, 2), 'z.jpg': bytes(100, 3) },
  'top.txt': { sub: {} } // a file became a folder
}

/** A repository with two snapshots (FIRST, then SECOND), opened through the real backups context. */
async function openContext (): Promise<{ ctx: BackupsContext, repo: Repository, ids: [string, string] }> {
  const repo = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: fast })
  await backup(repo, new MemorySource(FIRST), { hostname: 'laptop', tags: ['daily'], time: new Date('2026-01-01T10:00:00Z') })
  await backup(repo, new MemorySource(SECOND), { hostname: 'phone', tags: ['daily', 'manual'], time: new Date('2026-02-01T10:00:00Z') })
  const [a, b] = await listSnapshots(repo)
  const n = {}
  const node = { node: () => n } as unknown as NodeService
  const ctx = createBackupsContext(node, {} as NamesService, {} as KeepersService, () => undefined, () => {})
  const backend = { close: async () => {}, ipnsName: async () => undefined, root: undefined } as unknown as IpfsBackend
  await ctx.openWith({ id: `repo-${Math.random()}`, label: 'T', createdAt: 0, lastUsedAt: 0 }, backend, repo, n as never)
  return { ctx, repo, ids: [a!.id, b!.id] }
}

/** A File System Access directory in memory: enough of the API for DirectorySink. */
class MemDir {
  readonly dirs = new Map<string, MemDir>()
  readonly files = new Map<string, Uint8Array>()
  async getDirectoryHandle (name: string, o: { create?: boolean } = {}): Promise<MemDir> {
    let d = this.dirs.get(name)
    if (d === undefined) { if (o.create !== true) throw new DOMException(name, 'NotFoundError'); d = new MemDir(); this.dirs.set(name, d) }
    return d
  }

  async getFileHandle (name: string): Promise<unknown> {
    const files = this.files
    return {
      createWritable: async () => {
        const parts: Uint8Array[] = []
        return {
          write: async (c: Uint8Array) => { parts.push(c.slice()) },
          close: async () => { files.set(name, Buffer.concat(parts)) },
          abort: async () => {}
        }
      }
    }
  }

  /** Every file as "path=bytes length" and folder as "path/". */
  list (prefix = ''): Map<string, Uint8Array | 'dir'> {
    const out = new Map<string, Uint8Array | 'dir'>()
    for (const [n, d] of this.dirs) { out.set(`${prefix}${n}/`, 'dir'); for (const [k, v] of d.list(`${prefix}${n}/`)) out.set(k, v) }
    for (const [n, f] of this.files) out.set(prefix + n, f)
    return out
  }
}

describe('planRestore', () => {
  it('starts at the deepest folder holding every pick, drops picks inside picked folders, and selects only the picks', () => {
    const p = planRestore([['docs', 'sub', 'd.txt'], ['docs', 'a.txt'], ['docs', 'sub'], ['docs', 'a.txt']])
    expect(p.base).toEqual(['docs'])
    expect(p.paths).toEqual([['docs', 'a.txt'], ['docs', 'sub']])
    const dir = { type: 'dir' } as never
    const file = { type: 'file' } as never
    expect(p.select('/docs/a.txt', file)).toEqual({ selected: true, descend: false })
    expect(p.select('/docs/b.txt', file)).toEqual({ selected: false, descend: false })
    expect(p.select('/docs/sub', dir)).toEqual({ selected: true, descend: true })
    expect(p.select('/docs/sub/c.bin', file)).toEqual({ selected: true, descend: false })
    // A sibling whose name starts like a pick is not a pick.
    expect(p.select('/docs/a.txt2', file).selected).toBe(false)
    expect(p.select('/docs/subway', dir)).toEqual({ selected: false, descend: false })
    expect(planRestore([['docs', 'a.txt'], ['photos', 'x.jpg']]).base).toEqual([])
    expect(planRestore([['docs']]).base).toEqual([])
  })

  it('refuses an empty selection and names that are no single path segment', () => {
    expect(() => planRestore([])).toThrow(/Nothing is selected/)
    expect(() => planRestore([['docs', '..']])).toThrow(/invalid child node name|names a directory/)
    expect(() => planRestore([['a/b']])).toThrow(/path separator/)
  })
})

describe('restoreSelection (one restore of several picked entries)', () => {
  it('restores the picks into a folder with their bytes, and nothing else, with files and bytes of the total', async () => {
    const { ctx, ids } = await openContext()
    const dir = new MemDir()
    const seen: TransferProgress[] = []
    const r = await restoreActions(ctx).restoreSelection(ids[0], [['docs', 'a.txt'], ['docs', 'sub'], ['photos', 'x.jpg']], { kind: 'folder', dir: dir as unknown as FileSystemDirectoryHandle }, { onProgress: p => { seen.push(p) } })
    const got = dir.list()
    expect([...got.keys()].sort()).toEqual(['docs/', 'docs/a.txt', 'docs/sub/', 'docs/sub/c.bin', 'docs/sub/d.txt', 'photos/', 'photos/x.jpg'])
    expect(Buffer.from(got.get('docs/sub/c.bin') as Uint8Array).equals(Buffer.from(BIG))).toBe(true)
    expect(new TextDecoder().decode(got.get('docs/a.txt') as Uint8Array)).toBe('alpha')
    const total = 5 + BIG.length + 5 + 3000
    expect(r).toMatchObject({ files: 4, bytes: total })
    const last = seen[seen.length - 1]!
    expect(last.total).toBe(total)
    expect(last.done).toBe(total)
    expect(last.files).toEqual({ done: 4, total: 4 })
    expect(seen[0]!.files).toEqual({ done: 0, total: 4 })
  })

  it('keeps hostile names out of the target: refused entries are named, their siblings restored', async () => {
    const { ctx, repo } = await openContext()
    const id = await writeCraftedSnapshot(repo, [
      { name: 'pick', type: 'dir', children: [{ name: 'ok.txt', type: 'file', data: 'fine' }, { name: '..', type: 'file', data: 'evil' }, { name: '../../x', type: 'file', data: 'evil' }, { name: 'win\\dir', type: 'dir', children: [{ name: 'y', type: 'file', data: 'evil' }] }] },
      { name: 'also.txt', type: 'file', data: 'also' }
    ])
    const dir = new MemDir()
    const err = await restoreActions(ctx).restoreSelection(id, [['pick'], ['also.txt']], { kind: 'folder', dir: dir as unknown as FileSystemDirectoryHandle }).then(() => undefined, (e: unknown) => e as Error & { errors?: Array<{ path: string }> })
    expect(err?.name).toBe('RestoreIncompleteError')
    expect(err?.errors?.map(e => e.path).sort()).toEqual(['/pick/"../../x"', '/pick/".."', '/pick/"win\\\\dir"'].sort())
    expect([...dir.list().keys()].sort()).toEqual(['also.txt', 'pick/', 'pick/ok.txt'])
    // A picked folder whose own name cannot be an archive folder is refused before anything is written.
    await expect(restoreActions(ctx).restoreSelection(id, [['pick', 'win\\dir', 'y']], { kind: 'zip' })).rejects.toThrow(/path separator on Windows/)
  })

  it('a cancel stops the restore', async () => {
    const { ctx, ids } = await openContext()
    const c = new AbortController()
    c.abort(new DOMException('stop', 'AbortError'))
    await expect(restoreActions(ctx).restoreSelection(ids[0], [['docs']], { kind: 'folder', dir: new MemDir() as unknown as FileSystemDirectoryHandle }, { signal: c.signal })).rejects.toThrow(/stop|abort/i)
  })
})

describe('tarFromEntries', () => {
  it('writes a restore of picked entries as a tar that tar(1) reads back byte for byte', async () => {
    const repo = await Repository.init(new MemoryBackend(), { password: 'pw', scrypt: fast })
    await backup(repo, new MemorySource(FIRST), { hostname: 'h' })
    const [snap] = await listSnapshots(repo)
    const plan = planRestore([['docs', 'sub'], ['docs', 'b.txt']])
    const sink = new ZipSink('docs')
    const restoring = restore(repo, snap!, sink, { path: '/' + plan.base.join('/'), select: plan.select }).then(() => { sink.end() }, (err: unknown) => { sink.end(err); throw err })
    const parts: Uint8Array[] = []
    for await (const p of tarFromEntries(sink.entries())) parts.push(p.slice())
    await restoring
    const dir = mkdtempSync(join(tmpdir(), 'cairn-tar-'))
    try {
      writeFileSync(join(dir, 'x.tar'), Buffer.concat(parts))
      const listing = execFileSync('tar', ['-tf', join(dir, 'x.tar')], { encoding: 'utf8' }).trim().split('\n').sort()
      expect(listing).toEqual(['docs/b.txt', 'docs/sub/', 'docs/sub/c.bin', 'docs/sub/d.txt'])
      execFileSync('tar', ['-xf', join(dir, 'x.tar'), '-C', dir])
      expect(readFileSync(join(dir, 'docs/sub/c.bin')).equals(Buffer.from(BIG))).toBe(true)
      expect(readFileSync(join(dir, 'docs/b.txt'), 'utf8')).toBe('beta')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('fails instead of writing a corrupt tar when a file is shorter than its header says', async () => {
    async function * entries (): AsyncGenerator<{ name: string, lastModified: Date, input: AsyncIterable<Uint8Array>, tar: { size: number, mode: number } }> {
      yield { name: 'f', lastModified: new Date(0), input: (async function * () { yield new Uint8Array(3) })(), tar: { size: 10, mode: 0o644 } }
    }
    await expect(async () => { for await (const _ of tarFromEntries(entries())) { /* drain */ } }).rejects.toThrow(/fewer bytes than the snapshot says/)
  })
})

describe('find across snapshots', () => {
  it('streams the matches of a pattern, newest snapshot first, with a progress event per snapshot', async () => {
    const { ctx, ids } = await openContext()
    const events: Array<{ done: number, total: number }> = []
    const hits = []
    for await (const h of findActions(ctx).find('*.jpg', { onProgress: e => { events.push({ done: e.detail.done, total: e.detail.total }) } })) hits.push(h)
    expect(hits.map(h => `${h.shortId} ${h.path} ${h.size ?? '-'}`)).toEqual([
      `${ids[1].slice(0, 8)} /photos/x.jpg 3000`,
      `${ids[1].slice(0, 8)} /photos/z.jpg 100`,
      `${ids[0].slice(0, 8)} /photos/x.jpg 3000`
    ])
    expect(hits[0]!.time).toBe('2026-02-01T10:00:00.000Z')
    expect(events[events.length - 1]).toEqual({ done: 2, total: 2 })
    const ci = []
    for await (const h of findActions(ctx).find('*.jpg', { ignoreCase: true, snapshots: [ids[0]] })) ci.push(h.path)
    expect(ci).toEqual(['/photos/x.jpg', '/photos/y.JPG'])
    await expect(async () => { for await (const _ of findActions(ctx).find('  ')) { /* none */ } }).rejects.toThrow(/Type a name or a pattern/)
  })
})

describe('snapshot diff', () => {
  it('streams added, removed, modified and type-changed paths, then the statistics', async () => {
    const { ctx, ids } = await openContext()
    const folders: number[] = []
    const items = []
    for await (const x of diffActions(ctx).diff(ids[0], ids[1], { onProgress: e => { folders.push(e.detail.folders) } })) items.push(x)
    const changes = items.flatMap(x => x.kind === 'change' ? [`${x.modifier} ${x.path} ${x.change}`] : [])
    expect(changes).toEqual([
      'M /docs/a.txt modified',
      '- /docs/b.txt removed',
      '+ /docs/new.md added',
      '+ /photos/z.jpg added',
      'T /top.txt/ type' // as restic 0.14: a type change is not walked into
    ])
    const stats = items[items.length - 1]
    expect(stats).toMatchObject({ kind: 'stats', changedFiles: 1, added: { files: 2, dirs: 0 }, removed: { files: 1 } })
    expect(folders.length).toBeGreaterThan(0)
    expect(changeKind('TM')).toBe('type')
    expect(changeKind('U')).toBe('metadata')
  })
})

describe('snapshots table', () => {
  const row = (id: string, time: string, host: string, tags: string[], paths: string[], bytes?: number): SnapshotRow =>
    ({ id, shortId: id, time, host, tags, paths, parent: undefined, ...(bytes !== undefined ? { totals: { files: 1, dirs: 0, bytes } } : {}) })
  const rows = [
    row('a', '2026-01-01T00:00:00Z', 'laptop', ['daily'], ['/home/ann'], 500),
    row('b', '2026-03-01T00:00:00Z', 'phone', ['manual'], ['/photos'], 100),
    row('c', '2026-02-01T00:00:00Z', 'laptop', ['daily', 'manual'], ['/home/ann/Documents']),
    row('d', '2025-12-01T00:00:00Z', 'desk', [], ['/srv'], 900)
  ]
  const ids = (r: SnapshotRow[]): string => r.map(x => x.id).join('')

  it('sorts by time, host, paths and size (unknown sizes last either way)', () => {
    expect(ids(viewSnapshots(rows, {}))).toBe('bcad')
    expect(ids(viewSnapshots(rows, {}, { key: 'time', dir: 'asc' }))).toBe('dacb')
    expect(ids(viewSnapshots(rows, {}, { key: 'host', dir: 'asc' }))).toBe('dcab') // laptop ties: newest first
    expect(ids(viewSnapshots(rows, {}, { key: 'paths', dir: 'asc' }))).toBe('acbd')
    expect(ids(viewSnapshots(rows, {}, { key: 'size', dir: 'desc' }))).toBe('dabc')
    expect(ids(viewSnapshots(rows, {}, { key: 'size', dir: 'asc' }))).toBe('badc')
    expect(nextSort({ key: 'time', dir: 'desc' }, 'time')).toEqual({ key: 'time', dir: 'asc' })
    expect(nextSort({ key: 'time', dir: 'desc' }, 'host')).toEqual({ key: 'host', dir: 'asc' })
    expect(nextSort({ key: 'host', dir: 'asc' }, 'size')).toEqual({ key: 'size', dir: 'desc' })
  })

  it('filters by host, tag and path text, and offers the hosts and tags present', () => {
    expect(ids(viewSnapshots(rows, { host: 'laptop' }))).toBe('ca')
    expect(ids(viewSnapshots(rows, { tag: 'manual' }))).toBe('bc')
    expect(ids(viewSnapshots(rows, { path: 'DOCUMENTS' }))).toBe('c')
    expect(ids(viewSnapshots(rows, { host: 'laptop', tag: 'manual', path: '/home' }))).toBe('c')
    expect(ids(viewSnapshots(rows, { host: '', tag: '', path: ' ' }))).toBe('bcad')
    expect(snapshotFacets(rows)).toEqual({ hosts: ['desk', 'laptop', 'phone'], tags: ['daily', 'manual'] })
  })
})

describe('restoreMeter', () => {
  it('counts bytes and files of the total, with rate and ETA from the clock', () => {
    let t = 0
    const m = restoreMeter({ bytes: 1000, files: 2 }, 'Restoring', () => t)
    t = 1000
    expect(m.update({ type: 'restic:restore:bytes', detail: { path: '/a', bytes: 400 } })).toMatchObject({ done: 400, total: 1000, files: { done: 0, total: 2 } })
    t = 2000
    const p = m.update({ type: 'restic:restore:file', detail: { path: '/a', size: 400 } })
    expect(p?.files).toEqual({ done: 1, total: 2 })
    expect(p?.rate).toBeGreaterThan(0)
    expect(p?.eta).toBeGreaterThan(0)
    expect(m.update({ type: 'restic:restore:skipped', detail: { path: '/b', size: 600, reason: 'exists' } })).toMatchObject({ done: 1000, files: { done: 2, total: 2 }, eta: 0 })
    expect(m.update({ type: 'restic:restore:error', detail: { path: '/c', message: 'x' } })).toBeUndefined()
  })
})

describe('a damaged snapshot file', () => {
  it('is left out of the list and named with why; the other snapshots are listed', async () => {
    const { ctx, repo, ids } = await openContext()
    const h = { type: 'snapshots' as const, name: ids[0] }
    const data = await repo.backend.read(h)
    data[data.length - 5]! ^= 0xff
    await repo.backend.remove(h)
    await repo.backend.write(h, data)
    await ctx.refreshSnapshots()
    const view = ctx.current.get()!
    expect(view.snapshots.map(s => s.id)).toEqual([ids[1]])
    expect(view.skipped).toHaveLength(1)
    expect(view.skipped[0]).toMatchObject({ id: ids[0], shortId: ids[0].slice(0, 8) })
    expect(view.skipped[0]!.reason).toMatch(/MAC|authentic|damaged/i)
    // Find and diff still work over the intact snapshots.
    const found = []
    for await (const f of findActions(ctx).find('a.txt')) found.push(f.shortId)
    expect(found).toEqual([ids[1].slice(0, 8)])
  })
})

