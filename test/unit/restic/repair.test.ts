/**
 * `repair index` / `rebuild-index`, `recover`, `rewrite --exclude` and `repair snapshots`, with
 * real restic 0.14 judging the result (`check --read-data`, `snapshots`, `ls`).
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-repair-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
const env: Record<string, string> = { RESTIC_PASSWORD: 'repair' }

async function restic (repo: string, args: string[]): Promise<{ ok: boolean, out: string }> {
  try {
    const { stdout } = await run('restic', ['--no-cache', '-r', repo, ...args], { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 << 20 })
    return { ok: true, out: stdout }
  } catch (err) {
    return { ok: false, out: String((err as { stdout?: string }).stdout ?? '') + String((err as { stderr?: string }).stderr ?? '') }
  }
}

async function cairn (repo: string, args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: root, env }
  const code = await main(['restic', '-r', repo, ...args], x as CommandIO)
  return { code, stdout: x.stdout, stderr: x.stderr }
}

interface Snap { id: string, paths: string[], tags?: string[], original?: string, tree: string }
const snapshots = async (repo: string): Promise<Snap[]> => JSON.parse((await restic(repo, ['snapshots', '--json'])).out) as Snap[]
const lsOf = async (repo: string, id: string): Promise<string[]> => (await restic(repo, ['ls', id])).out.split('\n').slice(1).filter(l => l !== '').sort()
const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(f => !f.endsWith('/') && f.length > 3)

async function makeRepo (name: string): Promise<string> {
  const repo = join(root, name)
  expect((await restic(repo, ['init'])).ok).toBe(true)
  for (const d of ['one', 'two']) {
    mkdirSync(join(root, d, 'sub'), { recursive: true })
    writeFileSync(join(root, d, `${d}.txt`), `${d} text`)
    writeFileSync(join(root, d, 'sub', 'x.log'), `${d} log`)
    expect((await restic(repo, ['backup', d])).ok).toBe(true)
  }
  return repo
}

describe('repair and recover against restic 0.14', () => {
  it('repair index: after the index files are deleted, restic check passes again', async () => {
    const repo = await makeRepo('idx')
    for (const f of files(join(repo, 'index'))) rmSync(join(repo, 'index', f))
    expect((await restic(repo, ['check'])).ok).toBe(false)
    const res = await cairn(repo, ['repair', 'index', '--json'])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stderr).toMatch(/adding pack file to index/)
    expect((await restic(repo, ['check', '--read-data'])).ok).toBe(true)
    expect(await lsOf(repo, 'latest')).toContain('/two/sub/x.log')
  })

  it('rebuild-index (the 0.14 name): a missing pack leaves the index, the others stay', async () => {
    const repo = await makeRepo('rebuild')
    for (const f of files(join(repo, 'index'))) rmSync(join(repo, 'index', f))
    expect((await cairn(repo, ['rebuild-index'])).code).toBe(0)
    expect((await restic(repo, ['check'])).ok).toBe(true)
    const before = (await restic(repo, ['list', 'packs'])).out.split('\n').filter(l => l !== '')
    const gone = before[0] as string
    rmSync(join(repo, 'data', gone.slice(0, 2), gone))
    const res = await cairn(repo, ['rebuild-index'])
    expect(res.stderr).toMatch(new RegExp(`removing not found pack file ${gone}`))
    const indexed = (await restic(repo, ['list', 'blobs'])).out
    expect(indexed.length).toBeGreaterThan(0)
    const idx = await Promise.all(files(join(repo, 'index')).map(async f => (await restic(repo, ['cat', 'index', f])).out))
    expect(idx.join('')).not.toContain(gone)
  })

  it('recover: a snapshot restic lists, holding the same roots as restic recover finds', async () => {
    const repo = await makeRepo('rec')
    const snaps = await snapshots(repo)
    const lost = snaps.find(s => s.paths[0]?.endsWith('/one')) as Snap
    rmSync(join(repo, 'snapshots', lost.id))
    cpSync(repo, join(root, 'rec-theirs'), { recursive: true })
    const res = await cairn(repo, ['recover', '--json'])
    expect(res.code, res.stderr).toBe(0)
    const summary = JSON.parse(res.stdout) as { roots: string[], snapshot_id: string }
    expect(summary.roots).toEqual([lost.tree])
    expect((await restic(join(root, 'rec-theirs'), ['recover'])).ok).toBe(true)
    const ours = (await snapshots(repo)).find(s => s.id === summary.snapshot_id) as Snap
    expect(ours).toMatchObject({ paths: ['/recover'], tags: ['recovered'] })
    const theirs = (await snapshots(join(root, 'rec-theirs'))).find(s => s.paths[0] === '/recover') as Snap
    expect(await lsOf(repo, ours.id)).toEqual(await lsOf(join(root, 'rec-theirs'), theirs.id))
    expect(await lsOf(repo, ours.id)).toContain(`/${lost.tree.slice(0, 8)}/one/sub/x.log`)
    expect((await restic(repo, ['check', '--read-data'])).ok).toBe(true)
    // Nothing left to recover: no new snapshot.
    const again = JSON.parse((await cairn(repo, ['recover', '--json'])).stdout) as { roots: string[], snapshot_id?: string }
    expect(again).toEqual({ message_type: 'summary', roots: [] })
  })

  it('rewrite --exclude: new snapshots without the paths (tagged, or --forget replaces them)', async () => {
    const repo = await makeRepo('rw')
    const old = await snapshots(repo)
    const dry = await cairn(repo, ['rewrite', '--exclude', '*.log', '-n'])
    expect(dry.stdout).toMatch(/would modify 2 snapshots/)
    expect(await snapshots(repo)).toHaveLength(2)
    const res = await cairn(repo, ['rewrite', '--exclude', '*.log', '--json'])
    expect(res.code, res.stderr).toBe(0)
    const now = await snapshots(repo)
    expect(now).toHaveLength(4)
    const rewritten = now.filter(s => s.tags?.includes('rewrite'))
    expect(rewritten.map(s => s.original).sort()).toEqual(old.map(s => s.id).sort())
    for (const s of rewritten) {
      const l = await lsOf(repo, s.id)
      expect(l.some(p => p.endsWith('.txt'))).toBe(true)
      expect(l.some(p => p.endsWith('.log'))).toBe(false)
    }
    expect((await restic(repo, ['check', '--read-data'])).ok).toBe(true)
    // Nothing more to exclude: nothing changes. Then --forget replaces the snapshots.
    expect((await cairn(repo, ['rewrite', '--exclude', '*.log', ...rewritten.map(s => s.id)])).stdout).toMatch(/no snapshots were modified/)
    expect((await cairn(repo, ['rewrite', '--exclude', '*.txt', '--forget', ...rewritten.map(s => s.id)])).code).toBe(0)
    const final = await snapshots(repo)
    expect(final).toHaveLength(4)
    expect(final.some(s => rewritten.some(r => r.id === s.id))).toBe(false)
    expect((await restic(repo, ['check'])).ok).toBe(true)
  })

  it('repair snapshots: after a data pack is lost, the snapshots are rewritten and restic check passes', async () => {
    const repo = await makeRepo('rs')
    const packs = (await restic(repo, ['list', 'packs'])).out.split('\n').filter(l => l !== '')
    const idx = await Promise.all(files(join(repo, 'index')).map(async f => JSON.parse((await restic(repo, ['cat', 'index', f])).out) as { packs: Array<{ id: string, blobs: Array<{ type: string }> }> }))
    const dataPack = idx.flatMap(i => i.packs).find(p => p.blobs.some(b => b.type === 'data'))?.id as string
    expect(packs).toContain(dataPack)
    rmSync(join(repo, 'data', dataPack.slice(0, 2), dataPack))
    expect((await cairn(repo, ['repair', 'index'])).code).toBe(0)
    expect((await restic(repo, ['check'])).ok).toBe(false)
    const res = await cairn(repo, ['repair', 'snapshots', '--forget'])
    expect(res.code, res.stderr).toBe(0)
    expect(res.stderr).toMatch(/removed missing content of file/)
    const check = await restic(repo, ['check', '--read-data'])
    expect(check.ok, check.out).toBe(true)
    expect(await snapshots(repo)).toHaveLength(2)
  })
})
