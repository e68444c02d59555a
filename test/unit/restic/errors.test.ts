import { chmodSync, cpSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeSync, readSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { FsSink } from '../../../src/node/restic/fs-sink.js'
import { Repository, MemorySink, restore, findSnapshot, listSnapshots, check, DamagedFileError, MissingFileError, RestoreIncompleteError, WrongPasswordError, RepositoryNotFoundError } from '../../../src/restic/index.js'
import { FIXTURES, manifest } from './helpers.js'

const m = manifest('v2')
const HELLO_PACK = '2968d14f71b1ff7722017f157a1029bf60b448cfd87987647127afbdef776ffc'
const HELLO_OFFSET = 526
const FIRST = m.snapshots[0]!
const dirs: string[] = []

/** A writable copy of the v2 fixture repository. */
function copyRepo (): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-restic-damage-'))
  dirs.push(dir)
  cpSync(join(FIXTURES, 'v2', 'repo'), dir, { recursive: true })
  const walk = (p: string): void => { for (const n of readdirSync(p)) { const f = join(p, n); chmodSync(f, statSync(f).isDirectory() ? 0o700 : 0o600); if (statSync(f).isDirectory()) walk(f) } }
  walk(dir)
  return dir
}

function flipByte (file: string, offset: number): void {
  const fd = openSync(file, 'r+')
  const b = Buffer.alloc(1)
  readSync(fd, b, 0, 1, offset)
  b[0] = (b[0] as number) ^ 0xff
  writeSync(fd, b, 0, 1, offset)
  closeSync(fd)
}

const only = (dir: string, sub: string): string => join(dir, sub, readdirSync(join(dir, sub))[0] as string)
const open = async (dir: string): Promise<Repository> => await Repository.open(new LocalBackend(dir), { password: m.password })

afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 5 }) })

describe('damaged repositories: clear errors naming the file', () => {
  it('wrong password', async () => {
    const err = await Repository.open(new LocalBackend(join(FIXTURES, 'v2', 'repo')), { password: 'nope' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WrongPasswordError)
    expect((err as Error).message).toMatch(/wrong password for repository .*v2\/repo.*--password-file/)
  })

  it('a flipped byte in a pack fails only the files that need it; check --read-data names the pack', async () => {
    const dir = copyRepo()
    flipByte(join(dir, 'data', HELLO_PACK.slice(0, 2), HELLO_PACK), HELLO_OFFSET + 20)
    const repo = await open(dir)
    const sink = new MemorySink()
    const err = await restore(repo, await findSnapshot(repo, FIRST.id), sink).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RestoreIncompleteError)
    expect((err as Error).message).toContain('hello.txt')
    expect((err as Error).message).toContain(`data/29/${HELLO_PACK}`)
    expect((err as Error).message).toMatch(/MAC mismatch/)
    const prefix = FIRST.path_prefix_in_tree.slice(1)
    expect(sink.entries.get(`${prefix}/lorem.txt`)?.data?.length).toBe(25800)
    expect(sink.entries.get(`${prefix}/random.bin`)?.data?.length).toBe(3145728)
    expect(sink.entries.has(`${prefix}/hello.txt`)).toBe(false)
    const result = await check(await open(dir), { readData: true })
    expect(result.errors.join('\n')).toContain(HELLO_PACK)
    const structural = await check(await open(dir))
    expect(structural.errors).toEqual([])
  })

  it('a truncated pack and a missing pack are reported by name; other files restore to disk', async () => {
    const dir = copyRepo()
    const pack = join(dir, 'data', HELLO_PACK.slice(0, 2), HELLO_PACK)
    truncateSync(pack, 1000)
    const target = join(dir, '..', `${dir.split('/').pop() ?? ''}-target`)
    dirs.push(target)
    const repo = await open(dir)
    const err = await restore(repo, await findSnapshot(repo, FIRST.id), new FsSink(target)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RestoreIncompleteError)
    expect((err as Error).message).toMatch(/truncated/)
    expect((err as Error).message).toContain(HELLO_PACK)
    expect(existsSync(join(target, FIRST.path_prefix_in_tree, 'empty.txt'))).toBe(true)
    expect(existsSync(join(target, FIRST.path_prefix_in_tree, 'hello.txt'))).toBe(true) // hello's blob is before offset 1000
    expect(existsSync(join(target, FIRST.path_prefix_in_tree, 'random.bin'))).toBe(false)
    expect(readdirSync(join(target, FIRST.path_prefix_in_tree)).some(n => n.includes('tmp'))).toBe(false)

    unlinkSync(pack)
    const repo2 = await open(dir)
    const sink = new MemorySink()
    const err2 = await restore(repo2, await findSnapshot(repo2, FIRST.id), sink).catch((e: unknown) => e)
    expect((err2 as Error).message).toMatch(new RegExp(`repository file data/29/${HELLO_PACK} .* is missing`))
    const c = await check(await open(dir))
    expect(c.errors.join('\n')).toMatch(/missing from data/)
  })

  it('a flipped byte in an index file fails the open and writes nothing', async () => {
    const dir = copyRepo()
    const idx = only(dir, 'index')
    flipByte(idx, 40)
    const repo = await open(dir)
    const target = join(dir, 'never-written')
    const err = await restore(repo, await findSnapshot(repo, 'latest'), new FsSink(target)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DamagedFileError)
    expect((err as DamagedFileError).file).toContain(`index/${idx.split('/').pop() ?? ''}`)
    expect((err as Error).message).toMatch(/SHA-256 mismatch/)
    expect(existsSync(target)).toBe(false)
  })

  it('a flipped byte in a snapshot names the snapshot file', async () => {
    const dir = copyRepo()
    const snap = join(dir, 'snapshots', FIRST.id)
    flipByte(snap, 50)
    // As restic does: the damaged one is left out and reported, and the rest are listed.
    const skipped: Array<[string, Error]> = []
    const listed = await listSnapshots(await open(dir), {}, { onSkipped: (id, e) => { skipped.push([id, e]) } })
    expect(listed.map(s => s.id)).not.toContain(FIRST.id)
    expect(listed.length).toBe(m.snapshots.length - 1)
    expect(skipped.map(([id]) => id)).toEqual([FIRST.id])
    const err = skipped[0]?.[1]
    expect(err).toBeInstanceOf(DamagedFileError)
    expect((err as Error).message).toContain(`snapshots/${FIRST.id}`)
    // The other snapshot still restores.
    const repo = await open(dir)
    const res = await restore(repo, await findSnapshot(repo, m.snapshots[1]!.short_id), new MemorySink())
    expect(res.files).toBeGreaterThan(5)
  })

  it('a missing repository and a damaged config give guidance', async () => {
    const err = await Repository.open(new LocalBackend('/nonexistent/repo'), { password: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RepositoryNotFoundError)
    expect((err as Error).message).toMatch(/no restic repository at \/nonexistent\/repo.*cairn restic init/)
    const dir = copyRepo()
    flipByte(join(dir, 'config'), 30)
    const err2 = await open(dir).catch((e: unknown) => e)
    expect(err2).toBeInstanceOf(DamagedFileError)
    expect((err2 as Error).message).toMatch(/config in .*MAC mismatch/)
  })

  it('errors carry stable names and codes', () => {
    for (const E of [DamagedFileError, MissingFileError]) {
      const e = new E('x', 'y')
      expect(e.name).toBe(E.name)
      expect(e.code).toBe(E.code)
    }
  })
})
