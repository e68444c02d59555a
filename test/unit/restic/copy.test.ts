/**
 * `cairn restic copy` against `restic copy` (0.14): the same snapshots copied, restic checks the
 * target's data, a second copy copies nothing, and each recognises the other's copies.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-copy-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
writeFileSync(join(root, 'pw-src'), 'source password\n')
writeFileSync(join(root, 'pw-dst'), 'target password\n')

async function restic (repo: string, pw: string, args: string[]): Promise<string> {
  const { stdout } = await run('restic', ['--no-cache', '-r', repo, '--password-file', pw, ...args], { cwd: root, maxBuffer: 64 << 20 })
  return stdout
}

async function cairn (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: root, env: {} }
  const code = await main(['restic', ...args], x as CommandIO)
  return { code, stdout: x.stdout, stderr: x.stderr }
}

interface Snap { id: string, time: string, tree: string, paths: string[], hostname: string, tags?: string[], original?: string, parent?: string }
async function snapshots (repo: string): Promise<Snap[]> {
  return (JSON.parse(await restic(repo, 'pw-dst', ['snapshots', '--json'])) as Snap[]).sort((a, b) => a.time.localeCompare(b.time))
}
const fields = (s: Snap): unknown => ({ time: s.time, tree: s.tree, paths: s.paths, hostname: s.hostname, tags: s.tags, original: s.original, parent: s.parent })

describe('copy against restic 0.14', () => {
  const src = join(root, 'data')
  mkdirSync(join(src, 'sub'), { recursive: true })

  it('copies the same snapshots as restic copy, and restic reads the copy back', async () => {
    await restic('src', 'pw-src', ['init'])
    writeFileSync(join(src, 'a.txt'), 'first')
    writeFileSync(join(src, 'sub', 'big.bin'), Buffer.alloc(3_000_000, 'x'))
    await restic('src', 'pw-src', ['backup', '--host', 'h1', '--tag', 'one', 'data'])
    writeFileSync(join(src, 'b.txt'), 'second')
    await restic('src', 'pw-src', ['backup', '--host', 'h1', 'data'])
    await restic('src', 'pw-src', ['backup', '--host', 'h2', 'data/sub'])
    await restic('theirs', 'pw-dst', ['init'])
    await restic('ours', 'pw-dst', ['init'])

    await restic('theirs', 'pw-dst', ['copy', '--from-repo', 'src', '--from-password-file', 'pw-src', '--host', 'h1'])
    const res = await cairn(['copy', '-r', 'ours', '-p', 'pw-dst', '--from-repo', 'src', '--from-password-file', 'pw-src', '--host', 'h1', '--json'])
    expect(res.code, res.stderr).toBe(0)
    const theirs = await snapshots('theirs')
    const ours = await snapshots('ours')
    expect(ours).toHaveLength(2)
    expect(ours.map(fields)).toEqual(theirs.map(fields))
    await restic('ours', 'pw-dst', ['check', '--read-data'])
    const summary = JSON.parse(res.stdout) as { copied: unknown[], data_blobs: number, tree_blobs: number }
    expect(summary.copied).toHaveLength(2)
    expect(summary.data_blobs).toBeGreaterThan(0)
  })

  it('a second copy copies nothing; each recognises the copies the other made', async () => {
    const again = await cairn(['copy', '-r', 'ours', '-p', 'pw-dst', '--from-repo', 'src', '--from-password-file', 'pw-src', '--host', 'h1', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ copied: [], data_blobs: 0, tree_blobs: 0 })
    expect((JSON.parse(again.stdout) as { skipped: unknown[] }).skipped).toHaveLength(2)
    // restic's copies are recognised by cairn, and cairn's by restic.
    const intoTheirs = await cairn(['copy', '-r', 'theirs', '-p', 'pw-dst', '--from-repo', 'src', '--from-password-file', 'pw-src', '--host', 'h1', '--json'])
    expect((JSON.parse(intoTheirs.stdout) as { copied: unknown[] }).copied).toHaveLength(0)
    await restic('ours', 'pw-dst', ['copy', '--from-repo', 'src', '--from-password-file', 'pw-src', '--host', 'h1'])
    expect(await snapshots('ours')).toHaveLength(2)
  })

  it('copies the rest when the filter widens, sharing the blobs already there', async () => {
    const res = await cairn(['copy', '-r', 'ours', '-p', 'pw-dst', '--from-repo', 'src', '--from-password-file', 'pw-src', '--json'])
    const summary = JSON.parse(res.stdout) as { copied: unknown[], data_blobs: number }
    expect(summary.copied).toHaveLength(1)
    expect(summary.data_blobs).toBe(0) // data/sub's blobs came with the first snapshots
    await restic('ours', 'pw-dst', ['check', '--read-data'])
    expect(await snapshots('ours')).toHaveLength(3)
  })

  it('says what is missing without --from-repo', async () => {
    const res = await cairn(['copy', '-r', 'ours', '-p', 'pw-dst'])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/--from-repo/)
  })
})
