/**
 * `--tag` filters select the snapshots restic 0.14 selects: a value is a comma-separated group that
 * must all be on a snapshot, trimmed; `--tag ""` selects the untagged snapshots (it used to select
 * all). Checked against real restic on one repository for `snapshots` and `forget --keep-tag`; the
 * `snapshots` table and its --json match restic's too.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { hasTagGroup } from '../../../src/restic/ops/snapshots.js'
import type { CommandIO } from '../../../src/node/cli/command.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-tag-filter-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
const env: Record<string, string> = { RESTIC_PASSWORD: 'tags', RESTIC_REPOSITORY: join(root, 'repo') }

async function cairn (args: string[]): Promise<string> {
  let stdout = ''
  let stderr = ''
  const io: CommandIO = {
    out: (t: string) => { stdout += t },
    err: (t: string) => { stderr += t },
    write: async () => {},
    stdoutIsTTY: false,
    signal: new AbortController().signal,
    cwd: root,
    env
  }
  const code = await main(['restic', ...args], io)
  if (code !== 0) throw new Error(`cairn restic ${args.join(' ')} exited ${code}: ${stderr}`)
  return stdout
}
async function restic (args: string[]): Promise<string> {
  return (await run('restic', ['--no-cache', ...args], { cwd: root, env: { ...process.env, ...env } })).stdout
}
const ids = (json: string): string[] => (JSON.parse(json) as Array<{ id: string }>).map(s => s.id).sort()

describe('hasTagGroup', () => {
  it('is restic 0.14\'s HasTags', () => {
    expect(hasTagGroup('', [])).toBe(true)
    expect(hasTagGroup('', ['a'])).toBe(false)
    expect(hasTagGroup('a', ['a', 'b'])).toBe(true)
    expect(hasTagGroup(' a , b ', ['a', 'b'])).toBe(true)
    expect(hasTagGroup('a,c', ['a', 'b'])).toBe(false)
    expect(hasTagGroup('a,', ['a'])).toBe(false)
    expect(hasTagGroup(',a', undefined)).toBe(true)
  })
})

describe('--tag against real restic 0.14', () => {
  beforeAll(async () => {
    mkdirSync(join(root, 'src'))
    writeFileSync(join(root, 'src', 'f'), 'x\n')
    await restic(['init'])
    await restic(['backup', '--host', 'h', 'src'])
    await restic(['backup', '--host', 'h', '--tag', 'a', 'src'])
    await restic(['backup', '--host', 'h', '--tag', 'a,b', 'src'])
    // several paths, given out of order: restic's table and --json show them sorted
    mkdirSync(join(root, 'b-second'))
    writeFileSync(join(root, 'b-second', 'g'), 'y\n')
    await restic(['backup', '--host', 'other', '--tag', 'c', 'src', 'b-second'])
  }, 120_000)

  it('snapshots prints restic\'s table, --compact and --json', async () => {
    for (const args of [[], ['--compact'], ['--host', 'other'], ['--tag', 'a']]) {
      expect(await cairn(['snapshots', ...args]), args.join(' ')).toBe(await restic(['snapshots', ...args]))
      expect(JSON.parse(await cairn(['snapshots', '--json', ...args])), args.join(' ')).toEqual(JSON.parse(await restic(['snapshots', '--json', ...args])))
    }
  }, 300_000)

  it('snapshots and forget --keep-tag --dry-run select what restic selects', async () => {
    const cases = [[''], ['a'], ['b'], ['a,b'], [' a '], ['a,'], ['', 'b'], ['c']]
    for (const tags of cases) {
      const args = tags.flatMap(t => ['--tag', t])
      const theirs = ids(await restic(['snapshots', '--json', ...args]))
      expect(ids(await cairn(['snapshots', '--json', ...args])), JSON.stringify(tags)).toEqual(theirs)
    }
    expect(ids(await cairn(['snapshots', '--json', '--tag', '']))).toHaveLength(1)
    for (const tags of [[''], ['b'], ['a,']]) {
      const args = ['forget', '--dry-run', '--json', ...tags.flatMap(t => ['--keep-tag', t])]
      const keep = (out: string): string[] => (JSON.parse(out) as Array<{ keep: Array<{ id: string } | string> | null }>).flatMap(g => (g.keep ?? []).map(s => typeof s === 'string' ? s : s.id)).sort()
      expect(keep(await cairn(args)), JSON.stringify(tags)).toEqual(keep(await restic(args)))
    }
  }, 300_000)
})
