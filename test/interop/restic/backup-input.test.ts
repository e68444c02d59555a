/**
 * Bad backup input, side by side with real restic 0.14 on the same files: names that are not valid
 * UTF-8, and backup paths that do not exist. The CLI runs as a real process.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PASSWORD, SKIP, restic, tempDir } from './helpers.js'

const root = tempDir('backup-input')
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
const pwFile = join(root, 'pw')
writeFileSync(pwFile, PASSWORD + '\n')

function cairn (args: string[], cwd = root): { status: number, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/cairn.mjs'), 'restic', ...args, '--password-file', pwFile], { cwd, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function repos (name: string): { ours: string, theirs: string } {
  const ours = join(root, `${name}-cairn`)
  const theirs = join(root, `${name}-restic`)
  expect(cairn(['init', '-r', ours]).status).toBe(0)
  restic(['init'], { repo: theirs })
  return { ours, theirs }
}

const lsNames = (repo: string): Array<{ path: string, type: string }> =>
  restic(['ls', '--json', 'latest'], { repo }).stdout.trim().split('\n').map(l => JSON.parse(l) as { path?: string, type: string, struct_type: string })
    .filter(n => n.struct_type === 'node').map(n => ({ path: n.path as string, type: n.type }))

describe.skipIf(SKIP)('backup input, against restic 0.14', () => {
  it('backs up a file whose name is not valid UTF-8 under the name restic gives it (bytes kept), exit 0', () => {
    const src = join(root, 'names')
    mkdirSync(src)
    // ff: never valid; e0 a4: a truncated 3-byte sequence (Go counts two bad bytes, WHATWG one).
    const bad = Buffer.concat([Buffer.from('bad-'), Buffer.from([0xff, 0xe0, 0xa4]), Buffer.from('-x')])
    writeFileSync(Buffer.concat([Buffer.from(src + '/'), bad]), 'hello')
    writeFileSync(join(src, 'ok'), 'ok')
    symlinkSync(Buffer.concat([Buffer.from('tgt-'), Buffer.from([0xc3, 0x28])]), join(src, 'link'))
    const { ours, theirs } = repos('names')
    // Absolute paths: restic 0.14 roots the tree of a relative path at that path, we at `/` (left alone here).
    const r = cairn(['backup', '-r', ours, src])
    // The one difference from restic: the xattr module takes UTF-8 paths only, so that file's
    // extended attributes are skipped with a warning that names it (restic would read them).
    expect(r.stderr.split('\n').filter(l => l !== '')).toEqual([expect.stringMatching(/^Warning: extended attributes of ".*bad-.*-x" are not backed up: its path is not valid UTF-8/)])
    expect(r.status).toBe(0)
    restic(['backup', src], { repo: theirs })

    expect(lsNames(ours)).toEqual(lsNames(theirs))
    expect(lsNames(ours).map(n => n.path)).toContain(`${src}/bad-\ufffd\ufffd\ufffd-x`)
    restic(['check', '--read-data'], { repo: ours })
    // restic restores the original bytes from what we stored, and the same link target as its own.
    const outOurs = join(root, 'names-out-cairn')
    const outTheirs = join(root, 'names-out-restic')
    restic(['restore', 'latest', '--target', outOurs], { repo: ours })
    restic(['restore', 'latest', '--target', outTheirs], { repo: theirs })
    const restored = readdirSync(join(outOurs, src), { encoding: 'buffer' })
    expect(restored.some(n => n.equals(bad))).toBe(true)
    expect(readFileSync(Buffer.concat([Buffer.from(join(outOurs, src) + '/'), bad]), 'utf8')).toBe('hello')
    expect(readlinkSync(join(outOurs, src, 'link'), { encoding: 'buffer' })).toEqual(readlinkSync(join(outTheirs, src, 'link'), { encoding: 'buffer' }))
  })

  it('refuses a backup whose paths all do not exist (exit 1, no snapshot, no stack trace), as restic does', () => {
    const { ours, theirs } = repos('missing-all')
    for (const paths of [['nope1', 'nope2'], ['/nonexistent-cairn-dir/a']]) {
      const want = restic(['backup', ...paths], { repo: theirs, cwd: root, allowFail: true })
      const got = cairn(['backup', '-r', ours, ...paths])
      expect(want.status).toBe(1)
      expect(got.status).toBe(want.status)
      for (const p of paths) {
        expect(want.stderr).toContain(`${p} does not exist, skipping`)
        expect(got.stderr).toContain(`${p} does not exist, skipping`)
      }
      expect(want.stderr).toContain('all target directories/files do not exist')
      expect(got.stderr).toContain('all target directories/files do not exist')
      expect(got.stderr).not.toMatch(/\n\s+at /)
    }
    expect(JSON.parse(cairn(['snapshots', '-r', ours, '--json']).stdout)).toEqual([])
    expect(JSON.parse(restic(['snapshots', '--json'], { repo: theirs }).stdout)).toEqual([])
  })

  it('skips a missing path with a warning and saves the rest, with restic\'s exit code', () => {
    const src = join(root, 'some')
    mkdirSync(src)
    writeFileSync(join(src, 'f'), 'f')
    const { ours, theirs } = repos('missing-some')
    const want = restic(['backup', 'nope', src], { repo: theirs, cwd: root, allowFail: true })
    const got = cairn(['backup', '-r', ours, 'nope', src])
    expect(got.status).toBe(want.status) // restic 0.14: 0
    expect(want.stderr).toContain('nope does not exist, skipping')
    expect(got.stderr).toContain('nope does not exist, skipping')
    const paths = (repo: string): string[][] => (JSON.parse(restic(['snapshots', '--json'], { repo }).stdout) as Array<{ paths: string[] }>).map(s => s.paths)
    expect(paths(ours)).toEqual([[src]])
    expect(paths(ours)).toEqual(paths(theirs))
    expect(lsNames(ours)).toEqual(lsNames(theirs))
  })
})
