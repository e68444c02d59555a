import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'
import { FIXTURES, manifest } from './helpers.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-restic-cli-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })

function io (env: Record<string, string> = {}): CommandIO & { stdout: string, stderr: string } {
  const x = {
    stdout: '',
    stderr: '',
    out: (t: string) => { x.stdout += t },
    err: (t: string) => { x.stderr += t },
    signal: new AbortController().signal,
    cwd: root,
    env
  }
  return x
}

describe('cairn restic CLI', () => {
  const pwFile = join(root, 'pw')
  writeFileSync(pwFile, 'cli password\n')
  const repo = join(root, 'repo')
  const src = join(root, 'src')
  mkdirSync(join(src, 'd'), { recursive: true })
  writeFileSync(join(src, 'a.txt'), 'A\n')
  writeFileSync(join(src, 'd', 'b.txt'), 'B\n')

  it('runs init → backup → snapshots → ls → restore → check → forget → prune → key', async () => {
    let x = io()
    expect(await main(['restic', 'init', '-r', repo, '--password-file', pwFile], x)).toBe(0)
    expect(x.stdout).toMatch(/created restic repository/)
    // The password also comes from RESTIC_PASSWORD_FILE, the repository from RESTIC_REPOSITORY.
    const env = { RESTIC_REPOSITORY: repo, RESTIC_PASSWORD_FILE: pwFile }
    x = io(env)
    expect(await main(['restic', 'backup', '--host', 'cli-host', '--tag', 'one,two', src, '--json'], x)).toBe(0)
    const summary = JSON.parse(x.stdout) as { snapshot_id: string, files_new: number }
    expect(summary.files_new).toBe(2)
    x = io(env)
    expect(await main(['restic', 'backup', '--host', 'cli-host', src, '--json'], x)).toBe(0)
    expect((JSON.parse(x.stdout) as { files_unmodified: number }).files_unmodified).toBe(2)

    x = io({ RESTIC_PASSWORD: 'cli password' })
    expect(await main(['restic', '-r', repo, 'snapshots', '--json', '--tag', 'one'], x)).toBe(0)
    const snaps = JSON.parse(x.stdout) as Array<{ id: string, short_id: string, hostname: string, tags: string[] }>
    expect(snaps).toHaveLength(1)
    expect(snaps[0]).toMatchObject({ id: summary.snapshot_id, hostname: 'cli-host', tags: ['one', 'two'] })

    x = io(env)
    expect(await main(['restic', 'ls', snaps[0]!.short_id], x)).toBe(0)
    expect(x.stdout).toContain(`${src}/d/b.txt`)

    x = io(env)
    expect(await main(['restic', 'restore', `latest:${src}/d`, '--target', 'out'], x)).toBe(0)
    expect(readFileSync(join(root, 'out', 'b.txt'), 'utf8')).toBe('B\n')

    x = io(env)
    expect(await main(['restic', 'check', '--read-data'], x)).toBe(0)
    expect(x.stdout).toMatch(/no errors were found/)

    x = io(env)
    expect(await main(['restic', 'forget', '--keep-last', '1', '--prune'], x)).toBe(0)
    expect(x.stdout).toMatch(/keep 1 snapshots:[\s\S]*remove 1 snapshots:[\s\S]*1 snapshots have been removed, running prune/)
    expect(x.stdout).toMatch(/prune: kept/)

    writeFileSync(join(root, 'pw2'), 'second')
    x = io(env)
    expect(await main(['restic', 'key', 'add', '--new-password-file', 'pw2'], x)).toBe(0)
    x = io({ RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: 'second' })
    expect(await main(['restic', 'key', 'list', '--json'], x)).toBe(0)
    expect((JSON.parse(x.stdout) as unknown[]).length).toBe(2)
  })

  it('reports user errors clearly', async () => {
    let x = io()
    expect(await main(['restic', 'snapshots', '--password-file', pwFile], x)).toBe(1)
    expect(x.stderr).toMatch(/no repository given.*--repo/)
    x = io({ RESTIC_PASSWORD: 'wrong' })
    expect(await main(['restic', '-r', repo, 'snapshots'], x)).toBe(1)
    expect(x.stderr).toMatch(/wrong password/)
    x = io({ RESTIC_PASSWORD: 'cli password' })
    // As restic 0.14: no policy removes nothing and is no error.
    expect(await main(['restic', '-r', repo, 'forget'], x)).toBe(0)
    expect(x.stdout).toBe('no policy was specified, no snapshots will be removed\n')
    x = io()
    expect(await main(['restic', '--bogus'], x)).toBe(2)
  })

  it('runs as a real subprocess against the restic-written fixture', async () => {
    const m = manifest('v1')
    const pw = join(root, 'fixture-pw')
    writeFileSync(pw, m.password)
    const bin = join(FIXTURES, '..', '..', '..', 'bin', 'cairn.mjs')
    const { stdout } = await run(process.execPath, [bin, 'restic', '-r', join(FIXTURES, 'v1', 'repo'), '--password-file', pw, 'snapshots', '--json'])
    expect((JSON.parse(stdout) as Array<{ id: string }>).map(s => s.id)).toEqual(m.snapshots.map(s => s.id))
  })
})
