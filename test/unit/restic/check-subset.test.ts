/**
 * `cairn restic check --read-data-subset` against restic 0.14: n/t reads the same group of packs
 * (a damaged pack fails the check only in its own group, for both), x% and a size read that share.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-check-subset-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
const env: Record<string, string> = { RESTIC_PASSWORD: 'subset', RESTIC_REPOSITORY: join(root, 'repo') }

async function restic (args: string[]): Promise<{ ok: boolean, out: string }> {
  try {
    const { stdout } = await run('restic', ['--no-cache', ...args], { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 << 20 })
    return { ok: true, out: stdout }
  } catch (err) {
    return { ok: false, out: String((err as { stdout?: string }).stdout ?? '') }
  }
}

async function cairn (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: root, env }
  const code = await main(['restic', ...args], x as CommandIO)
  return { code, stdout: x.stdout, stderr: x.stderr }
}

describe('check --read-data-subset against restic 0.14', () => {
  let packs: string[] = []
  const T = 4
  const group = (id: string): number => parseInt(id.slice(0, 2), 16) % T + 1

  it('makes a repository of several packs', async () => {
    mkdirSync(join(root, 'data'))
    for (let i = 0; i < 6; i++) writeFileSync(join(root, 'data', `f${i}`), randomBytes(4 << 20))
    await restic(['init'])
    expect((await restic(['backup', '--pack-size', '4', 'data'])).ok).toBe(true)
    packs = (await restic(['list', 'packs'])).out.split('\n').filter(l => l !== '')
    expect(packs.length).toBeGreaterThan(4)
  })

  it('n/t: reads the same group as restic, and only that group', async () => {
    // Damage the largest pack (a data pack) in its middle.
    const size = (id: string): number => statSync(join(root, 'repo', 'data', id.slice(0, 2), id)).size
    const victim = [...packs].sort((a, b) => size(b) - size(a))[0] as string
    const fd = openSync(join(root, 'repo', 'data', victim.slice(0, 2), victim), 'r+')
    writeSync(fd, Buffer.from('damage'), 0, 6, Math.floor(size(victim) / 2))
    closeSync(fd)
    for (let n = 1; n <= T; n++) {
      const theirs = await restic(['check', '--read-data-subset', `${n}/${T}`])
      const ours = await cairn(['check', '--json', '--read-data-subset', `${n}/${T}`])
      const expectOk = n !== group(victim)
      expect(theirs.ok, `restic, group ${n}`).toBe(expectOk)
      expect(ours.code === 0, `cairn, group ${n}: ${ours.stderr}`).toBe(expectOk)
      const res = JSON.parse(ours.stdout) as { packsRead: number }
      expect(res.packsRead).toBe(packs.filter(p => group(p) === n).length)
    }
  })

  it('x% and a size read that share of the packs', async () => {
    const pct = JSON.parse((await cairn(['check', '--json', '--read-data-subset', '50%'])).stdout) as { packsRead: number }
    expect(pct.packsRead).toBe(Math.floor(packs.length / 2))
    const tiny = JSON.parse((await cairn(['check', '--json', '--read-data-subset', '1'])).stdout) as { packsRead: number }
    expect(tiny.packsRead).toBe(1)
    const all = await cairn(['check', '--json', '--read-data-subset', '100%'])
    expect(all.code).toBe(1) // the damaged pack is among all of them
    expect((JSON.parse(all.stdout) as { packsRead: number }).packsRead).toBe(packs.length)
  })

  it('refuses bad values, as restic does', async () => {
    for (const v of ['0/2', '3/2', '1/300', '0%', '101%', 'x']) {
      expect((await restic(['check', '--read-data-subset', v])).ok, v).toBe(false)
      const ours = await cairn(['check', '--read-data-subset', v])
      expect(ours.code, v).toBe(1)
      expect(ours.stderr, v).toMatch(/read-data-subset/)
    }
  })
})
