/**
 * `cairn restic restore` options: --include/--exclude (and the case-insensitive forms) restore the
 * same entries as restic 0.14 with the same flags; --verify reads files back; --overwrite follows
 * restic 0.17.
 */
import { execFile } from 'node:child_process'
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'
import { MemorySink, MemorySource, Repository, MemoryBackend, RestoreVerifyError, backup, loadSnapshot, restore } from '../../../src/restic/index.js'
import type { Node } from '../../../src/restic/index.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-restore-opts-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
const env: Record<string, string> = { RESTIC_PASSWORD: 'restore', RESTIC_REPOSITORY: join(root, 'repo') }

async function restic (args: string[]): Promise<string> {
  const { stdout } = await run('restic', ['--no-cache', ...args], { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 << 20 })
  return stdout
}

async function cairn (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: root, env }
  const code = await main(['restic', ...args], x as CommandIO)
  return { code, stdout: x.stdout, stderr: x.stderr }
}

/** Every entry under `dir`: relative path → kind, permission bits and content. */
function describeTree (dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const st = lstatSync(join(dir, rel))
    out[rel] = `${st.isDirectory() ? 'dir' : 'file'} ${(st.mode & 0o7777).toString(8)} ${st.isFile() ? readFileSync(join(dir, rel), 'utf8') : ''}`
  }
  return out
}

describe('restore --include/--exclude against restic 0.14', () => {
  const src = join(root, 'src')
  for (const d of ['dir/sub', 'Other', 'empty']) mkdirSync(join(src, d), { recursive: true })
  const files: Record<string, string> = { 'a.txt': 'a', 'b.log': 'b', 'C.LOG': 'c', 'dir/c.txt': 'c', 'dir/d.log': 'd', 'dir/sub/e.txt': 'e', 'Other/f.txt': 'f' }
  for (const [p, c] of Object.entries(files)) writeFileSync(join(src, p), c)
  // A whole second, so the restored mtime can be set again exactly (utimes takes no nanoseconds).
  utimesSync(join(src, 'a.txt'), 1_600_000_000, 1_600_000_000)

  it('backs up with restic', async () => {
    await restic(['init'])
    await restic(['backup', 'src'])
  })

  const cases: string[][] = [
    ['--include', '/src/dir'],
    ['--include', '*.txt'],
    ['-i', '/src/dir/sub/e.txt', '-i', '/src/Other'],
    ['--exclude', '*.log'],
    ['-e', '/src/dir/sub', '-e', 'empty'],
    ['--iinclude', '*.LOG'],
    ['--iexclude', 'DIR', '--iexclude', 'other']
  ]
  let n = 0
  for (const flags of cases) {
    it(`${flags.join(' ')}: the same entries as restic`, async () => {
      n++
      await restic(['restore', 'latest', '--target', `theirs-${n}`, ...flags])
      const ours = await cairn(['restore', 'latest', '--target', `ours-${n}`, ...flags])
      expect(ours.code, ours.stderr).toBe(0)
      const theirs = describeTree(join(root, `theirs-${n}`))
      expect(describeTree(join(root, `ours-${n}`))).toEqual(theirs)
      // Something was left out.
      expect(Object.keys(theirs).filter(k => k.startsWith('src/')).length).toBeLessThan(Object.keys(files).length + 4)
    })
  }

  it('refuses include and exclude together, as restic does', async () => {
    await expect(restic(['restore', 'latest', '--target', 'x', '-i', 'a', '-e', 'b'])).rejects.toThrow(/mutually exclusive/)
    const ours = await cairn(['restore', 'latest', '--target', 'x', '-i', 'a', '-e', 'b'])
    expect(ours.code).toBe(1)
    expect(ours.stderr).toMatch(/mutually exclusive/)
  })

  it('--overwrite never / if-newer / if-changed / always (restic 0.17)', async () => {
    const t = join(root, 'over')
    expect((await cairn(['restore', 'latest', '--target', 'over'])).code).toBe(0)
    const a = join(t, 'src', 'a.txt')
    const snapMtime = new Date(1_600_000_000_000)
    expect(statSync(a).mtimeMs).toBe(1_600_000_000_000)
    const tamper = (mtime: Date): void => { writeFileSync(a, 'X'); utimesSync(a, mtime, mtime) }
    const again = async (mode: string): Promise<string> => {
      const r = await cairn(['restore', 'latest', '--target', 'over', '--overwrite', mode])
      expect(r.code, r.stderr).toBe(0)
      return readFileSync(a, 'utf8')
    }
    tamper(new Date(0))
    expect(await again('never')).toBe('X')
    tamper(new Date(Date.now() + 86_400_000))
    expect(await again('if-newer')).toBe('X') // the file on disk is newer
    tamper(new Date(0))
    expect(await again('if-newer')).toBe('a')
    tamper(snapMtime) // same size and mtime: if-changed trusts them
    expect(await again('if-changed')).toBe('X')
    expect(await again('always')).toBe('a')
    tamper(new Date(0)) // same size, other mtime: read and replaced
    expect(await again('if-changed')).toBe('a')
    rmSync(a)
    expect(await again('never')).toBe('a') // a missing file is restored whatever the mode
    expect((await cairn(['restore', 'latest', '--target', 'over', '--overwrite', 'sometimes'])).stderr).toMatch(/invalid overwrite/)
  })

  it('--verify reports the file of a damaged pack', async () => {
    const ok = await cairn(['restore', 'latest', '--target', 'verified', '--verify'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/finished verifying 7 files/)
    // Damage the data packs (not the tree packs): their files can no longer be restored.
    const dataPacks = new Set<string>()
    for (const id of (await restic(['list', 'index'])).split('\n').filter(l => l !== '')) {
      const idx = JSON.parse(await restic(['cat', 'index', id])) as { packs: Array<{ id: string, blobs: Array<{ type: string }> }> }
      for (const p of idx.packs) if (p.blobs.some(b => b.type === 'data')) dataPacks.add(p.id)
    }
    expect(dataPacks.size).toBeGreaterThan(0)
    for (const id of dataPacks) {
      const fd = openSync(join(root, 'repo', 'data', id.slice(0, 2), id), 'r+'); writeSync(fd, Buffer.from([0xff, 0xee]), 0, 2, 20); closeSync(fd)
    }
    const bad = await cairn(['restore', 'latest', '--target', 'damaged', '--verify', '--include', '/src/dir/c.txt'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/verify: \/src\/dir\/c\.txt/)
    expect(bad.stderr).toMatch(/do not match the snapshot/)
  })
})

/** A sink that writes one byte wrong, as a failing disk would. */
class FlippingSink extends MemorySink {
  override async writeFile (path: string[], node: Node, content: AsyncIterable<Uint8Array>): Promise<void> {
    await super.writeFile(path, node, content)
    const e = this.entries.get(path.join('/'))
    if (e?.data !== undefined && path[path.length - 1] === 'victim' && e.data.length > 0) e.data[0] = (e.data[0] as number) ^ 1
  }
}

describe('restore --verify', () => {
  it('catches a file written wrong, and only with verify', async () => {
    const repo = await Repository.init(new MemoryBackend(), { password: 'v', scrypt: { N: 1024, r: 8, p: 1 } })
    const s = await backup(repo, new MemorySource({ victim: new Uint8Array(3000).fill(7), fine: new Uint8Array(10).fill(1) }))
    const snap = await loadSnapshot(repo, s.snapshotId)
    const plain = await restore(repo, snap, new FlippingSink())
    expect(plain.files).toBe(2)
    const err = await restore(repo, snap, new FlippingSink(), { verify: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RestoreVerifyError)
    expect((err as RestoreVerifyError).files).toEqual(['/victim (unexpected content starting at offset 0)'])
    const good = await restore(repo, snap, new MemorySink(), { verify: true })
    expect(good.verified).toBe(2)
  })
})
