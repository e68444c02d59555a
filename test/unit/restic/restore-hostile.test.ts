/**
 * `cairn restic restore` of snapshots with hostile node names and symlinks: nothing lands outside
 * the target, every valid sibling is restored, each refused node is named in a warning, and the
 * command exits 1 at the end (as restic 0.14 does: "There were N errors").
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { Repository } from '../../../src/restic/index.js'
import { NAME_RULE_REFUSED, NAME_RULE_RESTORED, nameRuleTree, symlinkTree, writeCraftedSnapshot } from './hostile.js'
import { listTree } from './hostile-fixture.js'

const FAST = { N: 1024, r: 8, p: 1 }
const base = mkdtempSync(join(tmpdir(), 'cairn-hostile-'))
afterAll(() => { rmSync(base, { recursive: true, force: true, maxRetries: 5 }) })

function io (): CommandIO & { stdout: string, stderr: string } {
  const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: base, env: {} }
  return x
}

async function setup (name: string, tree: (outside: string) => Parameters<typeof writeCraftedSnapshot>[1]): Promise<{ dir: string, repo: string, outside: string, parent: string, target: string, pw: string, id: string }> {
  const dir = join(base, name)
  const repo = join(dir, 'repo')
  const outside = join(dir, 'outside')
  const parent = join(dir, 'restore')
  mkdirSync(outside, { recursive: true })
  mkdirSync(parent, { recursive: true })
  const pw = join(dir, 'pw')
  writeFileSync(pw, 'hostile\n')
  const r = await Repository.init(new LocalBackend(repo), { password: 'hostile', scrypt: FAST, version: 2 })
  const id = await writeCraftedSnapshot(r, tree(outside))
  return { dir, repo, outside, parent, target: join(parent, 'target'), pw, id }
}

describe('restore of hostile snapshots', () => {
  it('refuses "", ".", "..", names with "/" or NUL, restores the rest, names each refused node and exits 1', async () => {
    const s = await setup('names', () => nameRuleTree())
    const x = io()
    const code = await main(['restic', 'restore', s.id, '-r', s.repo, '--password-file', s.pw, '--target', s.target], x)
    expect(code).toBe(1)
    // Nothing next to the target, nothing in the test folder but what the test made.
    expect(readdirSync(s.parent)).toEqual(['target'])
    expect(readdirSync(s.dir).sort()).toEqual(['outside', 'pw', 'repo', 'restore'])
    expect(readdirSync(s.outside)).toEqual([])
    expect(readdirSync(base).sort()).not.toContain('evil')
    expect(listTree(s.target)).toEqual(NAME_RULE_RESTORED)
    for (const p of NAME_RULE_REFUSED) expect(x.stderr).toContain(`ignoring error for ${p}: invalid child node name `)
    expect(x.stderr).toMatch(/restore finished with 9 error\(s\); 3 file\(s\) were restored/)
  })

  it('restores a symlink but never writes through it, nor through a link named like a temporary file', async () => {
    const s = await setup('links', symlinkTree)
    const x = io()
    const code = await main(['restic', 'restore', s.id, '-r', s.repo, '--password-file', s.pw, '--target', s.target], x)
    expect(code).toBe(1)
    expect(readdirSync(s.outside)).toEqual([])
    expect(readdirSync(s.parent)).toEqual(['target'])
    expect(listTree(s.target)).toEqual({
      lnk: `symlink:${s.outside}`,
      ok: 'file:fine\n',
      x: 'file:through the temporary name\n',
      'x.cairn-restore-tmp': `symlink:${join(s.outside, 'victim')}`
    })
    expect(x.stderr).toContain('ignoring error for /lnk: /lnk is a symbolic link in the restore target')
  })
})

describe('FsSink on its own', () => {
  it('refuses unsafe segments and paths through a link, whoever calls it', async () => {
    const { FsSink } = await import('../../../src/node/restic/fs-sink.js')
    const { UnsafeNameError } = await import('../../../src/core/errors.js')
    const { RestoreTargetError } = await import('../../../src/restic/errors.js')
    const dir = join(base, 'sink')
    const outside = join(dir, 'outside')
    mkdirSync(outside, { recursive: true })
    const sink = new FsSink(join(dir, 'target'))
    const node = { name: 'x', type: 'file' as const, mtime: '', atime: '', ctime: '', uid: 0, gid: 0, content: [] }
    async function * bytes (): AsyncGenerator<Uint8Array> { yield new TextEncoder().encode('x') }
    await expect(sink.writeFile(['..', 'escaped'], node, bytes())).rejects.toBeInstanceOf(UnsafeNameError)
    await expect(sink.mkdir(['a/../..'])).rejects.toBeInstanceOf(UnsafeNameError)
    await sink.symlink(['lnk'], { ...node, type: 'symlink', linktarget: outside })
    await expect(sink.writeFile(['lnk', 'f'], node, bytes())).rejects.toBeInstanceOf(RestoreTargetError)
    await expect(sink.mkdir(['lnk', 'd'])).rejects.toBeInstanceOf(RestoreTargetError)
    expect(readdirSync(outside)).toEqual([])
    expect(readdirSync(dir).sort()).toEqual(['outside', 'target'])
  })
})

describe('cairn restic ls of a hostile snapshot', () => {
  it('quotes names that would read as other paths', async () => {
    const s = await setup('ls', () => nameRuleTree())
    const x = io()
    expect(await main(['restic', 'ls', s.id, '-r', s.repo, '--password-file', s.pw], x)).toBe(0)
    const lines = x.stdout.split('\n')
    expect(lines).toContain('/"../../evil"')
    expect(lines).toContain('/sub/"../../../deep"')
    expect(lines).toContain('/ok.txt')
    expect(lines).not.toContain('/evil')
    expect(lines.filter(l => l === '/')).toEqual([])
  })
})
