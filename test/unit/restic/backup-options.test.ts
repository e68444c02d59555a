/**
 * `cairn restic backup` options against real restic 0.14: with the same flags on the same tree,
 * both snapshots must list the same files (`restic ls`). Also: `--dry-run` writes nothing,
 * `--compression off|max` packs are read back by restic, `--skip-if-unchanged` saves no snapshot.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-backup-opts-'))
const mnt = join(root, 'src', 'mnt')
let mounted = false
afterAll(() => {
  if (mounted) execFileSync('umount', [mnt])
  rmSync(root, { recursive: true, force: true, maxRetries: 5 })
})
const env: Record<string, string> = { RESTIC_PASSWORD: 'options', RESTIC_REPOSITORY: join(root, 'repo'), PATTERN_VAR: 'var' }

function io (e: Record<string, string> = env): CommandIO & { stdout: string, stderr: string } {
  const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: root, env: e }
  return x
}

async function restic (args: string[], e: Record<string, string> = env): Promise<string> {
  const { stdout } = await run('restic', ['--no-cache', ...args], { cwd: root, env: { ...process.env, ...e }, maxBuffer: 64 << 20 })
  return stdout
}

async function cairn (args: string[], e: Record<string, string> = env): Promise<{ code: number, stdout: string, stderr: string }> {
  const x = io(e)
  const code = await main(['restic', ...args], x)
  return { code, stdout: x.stdout, stderr: x.stderr }
}

/** The paths `restic ls` lists for a snapshot, sorted. */
async function ls (id: string): Promise<string[]> {
  return (await restic(['ls', id])).split('\n').slice(1).filter(l => l !== '').sort()
}

function summaryOf (stdout: string): { snapshot_id?: string, dry_run?: boolean, files_new: number, data_added: number } {
  const line = stdout.split('\n').filter(l => l.includes('"message_type":"summary"')).pop()
  return JSON.parse(line as string)
}

/** Backs up with restic and with cairn, same flags; returns both listings. */
async function both (flags: string[], targets = ['src']): Promise<{ restic: string[], cairn: string[] }> {
  const theirs = summaryOf(await restic(['backup', '--json', '--host', 'h', ...flags, ...targets]))
  const ours = await cairn(['backup', '--json', '--host', 'h', ...flags, ...targets])
  expect(ours.code, ours.stderr).toBe(0)
  return { restic: await ls(theirs.snapshot_id as string), cairn: await ls(summaryOf(ours.stdout).snapshot_id as string) }
}

function allFiles (dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map(f => `${f} ${statSync(join(dir, f)).size}`).sort()
}

describe('backup options against restic 0.14', () => {
  const src = join(root, 'src')
  for (const d of ['dir/sub', 'cache', 'badcache', 'tagged/inner', 'deep/x/y', 'Logs', 'var']) mkdirSync(join(src, d), { recursive: true })
  const files: Record<string, string> = {
    'a.txt': 'a', 'b.log': 'b', 'C.LOG': 'c', 'dir/c.txt': 'c', 'dir/d.log': 'd', 'dir/sub/e.txt': 'e',
    'cache/CACHEDIR.TAG': 'Signature: 8a477f597d28d172789f06886806bc55\n# a cache', 'cache/blob': 'x',
    'badcache/CACHEDIR.TAG': 'Signature: wrong', 'badcache/blob': 'x',
    'tagged/.nobackup': 'SKIP me', 'tagged/y': 'y', 'tagged/inner/z': 'z',
    'deep/x/y/z.tmp': 't', 'deep/x/y/keep': 'k', 'Logs/app.txt': 'l', 'var/v.txt': 'v',
    'data.bin': 'compress me '.repeat(100_000)
  }
  for (const [p, c] of Object.entries(files)) writeFileSync(join(src, p), c)
  writeFileSync(join(root, 'excludes'), '# comment\n\n  *.log  \n$PATTERN_VAR\n/never/matches\n')
  writeFileSync(join(root, 'iexcludes'), 'LOGS\n*.TMP\n')
  writeFileSync(join(root, 'list'), '# targets\nsrc/dir/*.txt\nsrc/tagged\n\nsrc/nothing-*\n')
  writeFileSync(join(root, 'verbatim'), 'src/a.txt\nsrc/deep\n')

  let full: string[] = []
  it('initialises one repository with restic', async () => {
    await restic(['init'])
    full = await ls(summaryOf(await restic(['backup', '--json', 'src'])).snapshot_id as string)
  })

  const cases: Array<[string, string[]]> = [
    ['--exclude by name at any depth', ['--exclude', '*.log']],
    ['--exclude anchored at the root, and ** across directories', ['--exclude', `${src}/dir`, '-e', '**/y/*.tmp']],
    ['--exclude with a ! negation', ['--exclude', 'dir/*', '--exclude', '!dir/c.txt']],
    ['--exclude with classes and ?', ['--exclude', '[a-b].???', '--exclude', 'd?t?.*']],
    ['--iexclude', ['--iexclude', '*.LOG', '--iexclude', 'logs']],
    ['--exclude-file (comments, blank lines, $VAR)', ['--exclude-file', 'excludes']],
    ['--iexclude-file', ['--iexclude-file', 'iexcludes']],
    ['--exclude-caches', ['--exclude-caches']],
    ['--exclude-if-present', ['--exclude-if-present', '.nobackup']],
    ['--exclude-if-present with a header', ['--exclude-if-present', '.nobackup:SKIP', '--exclude-if-present', 'CACHEDIR.TAG:nope']]
  ]
  for (const [name, flags] of cases) {
    it(`${name}: the same files as restic`, async () => {
      const { restic: theirs, cairn: ours } = await both(flags)
      expect(ours).toEqual(theirs)
      // The flags did leave something out.
      expect(ours.length).toBeLessThan(full.length)
      expect(ours).toContain('/src/deep/x/y')
    })
  }

  it('--files-from (globs, comments) and --files-from-verbatim: the same targets as restic', async () => {
    const { restic: theirs, cairn: ours } = await both(['--files-from', 'list', '--files-from-verbatim', 'verbatim'], [])
    expect(ours).toEqual(theirs)
    expect(ours).toContain('/src/dir/c.txt')
    expect(ours).not.toContain('/src/dir/d.log')
  })

  it('--one-file-system leaves out what is mounted below, keeping the mount point', async (ctx) => {
    mkdirSync(mnt)
    try { execFileSync('mount', ['-t', 'tmpfs', 'none', mnt], { stdio: 'ignore' }); mounted = true } catch { ctx.skip() }
    writeFileSync(join(mnt, 'other-fs'), 'o')
    const { restic: theirs, cairn: ours } = await both(['-x'])
    expect(ours).toEqual(theirs)
    expect(ours).toContain('/src/mnt')
    expect(full).not.toContain('/src/mnt')
    expect(ours).not.toContain('/src/mnt/other-fs')
    execFileSync('umount', [mnt]); mounted = false
    rmSync(mnt, { recursive: true })
  })

  it('refuses a malformed pattern, as restic does', async () => {
    await expect(restic(['backup', '--exclude', 'a[', 'src'])).rejects.toThrow()
    const ours = await cairn(['backup', '--exclude', 'a[', 'src'])
    expect(ours.code).toBe(1)
    expect(ours.stderr).toMatch(/invalid pattern.*a\[/)
  })

  it('--dry-run writes nothing and says what would be added', async () => {
    const before = allFiles(join(root, 'repo'))
    writeFileSync(join(src, 'new-for-dry-run'), 'new data')
    const ours = await cairn(['backup', '--json', '-n', 'src'])
    expect(ours.code, ours.stderr).toBe(0)
    const s = summaryOf(ours.stdout)
    expect(s.dry_run).toBe(true)
    expect(s.snapshot_id).toBeUndefined()
    expect(s.files_new).toBeGreaterThan(0)
    expect(s.data_added).toBeGreaterThan(0)
    expect(allFiles(join(root, 'repo'))).toEqual(before)
    const text = await cairn(['backup', '--dry-run', 'src'])
    expect(text.stdout).toMatch(/Would add to the repository/)
    expect(allFiles(join(root, 'repo'))).toEqual(before)
  })

  /** Data blobs of the repository's index files: compressed or not. */
  async function dataBlobs (e: Record<string, string>): Promise<Array<{ compressed: boolean }>> {
    const out: Array<{ compressed: boolean }> = []
    for (const id of (await restic(['list', 'index'], e)).split('\n').filter(l => l !== '')) {
      const idx = JSON.parse(await restic(['cat', 'index', id], e)) as { packs: Array<{ blobs: Array<{ type: string, uncompressed_length?: number }> }> }
      for (const p of idx.packs) for (const b of p.blobs) if (b.type === 'data') out.push({ compressed: b.uncompressed_length !== undefined })
    }
    return out
  }

  for (const mode of ['off', 'max', 'auto'] as const) {
    it(`--compression ${mode}: restic reads every pack back (check --read-data)`, async () => {
      const e = { ...env, RESTIC_REPOSITORY: join(root, `repo-${mode}`) }
      await restic(['init'], e)
      const ours = await cairn(['backup', '--json', '--compression', mode, 'src'], e)
      expect(ours.code, ours.stderr).toBe(0)
      await restic(['check', '--read-data'], e)
      const blobs = await dataBlobs(e)
      expect(blobs.length).toBeGreaterThan(5)
      expect(blobs.every(b => b.compressed === (mode !== 'off'))).toBe(true)
      // The same bytes come back.
      await restic(['restore', 'latest', '--target', `restored-${mode}`], e)
      expect(statSync(join(root, `restored-${mode}`, 'src', 'data.bin')).size).toBe(1_200_000)
    })
  }

  it('--compression max stores less than auto on compressible data', async () => {
    const size = (mode: string): number => allFiles(join(root, `repo-${mode}`, 'data')).reduce((n, l) => n + Number(l.split(' ')[1]), 0)
    expect(size('max')).toBeLessThan(size('auto'))
    expect(size('auto')).toBeLessThan(size('off'))
  })

  it('--skip-if-unchanged saves no snapshot when nothing changed (restic 0.17)', async () => {
    const e = { ...env, RESTIC_REPOSITORY: join(root, 'repo-off') }
    const count = async (): Promise<number> => (JSON.parse(await restic(['snapshots', '--json'], e)) as unknown[]).length
    expect(await count()).toBe(1)
    const first = await cairn(['backup', '--skip-if-unchanged', 'src'], e)
    expect(first.stdout).toMatch(/skipped creating snapshot/)
    expect(await count()).toBe(1)
    writeFileSync(join(src, 'changed'), 'now it differs')
    const second = await cairn(['backup', '--json', '--skip-if-unchanged', 'src'], e)
    expect(summaryOf(second.stdout).snapshot_id).toMatch(/^[0-9a-f]{64}$/)
    expect(await count()).toBe(2)
  })
})
