/**
 * `cairn restic forget` prints what restic 0.14 prints, checked on one repository restic made with
 * fixed `--time` values (two hosts, two path sets, tags, one snapshot written in another time
 * zone so its day differs from UTC's): `--json` parsed and compared whole (null vs [] included),
 * the text compared line for line. restic prints its groups in Go's map order (random), so groups
 * are compared as sets: with -v each group starts with its "snapshots for (…):" header. All runs
 * are `--dry-run` except the last, which forgets for real on two copies and compares what is left.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { applyPolicy, parseDuration } from '../../../src/restic/ops/forget-policy.js'
import type { CommandIO } from '../../../src/node/cli/command.js'
import type { Snapshot } from '../../../src/restic/index.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-forget-output-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
const env: Record<string, string> = { RESTIC_PASSWORD: 'forget', RESTIC_REPOSITORY: join(root, 'repo') }

interface Out { code: number, stdout: string, stderr: string }

async function cairn (args: string[], repo = env.RESTIC_REPOSITORY as string): Promise<Out> {
  const x: Out = { code: 0, stdout: '', stderr: '' }
  const io: CommandIO = {
    out: (t: string) => { x.stdout += t },
    err: (t: string) => { x.stderr += t },
    write: async () => {},
    stdoutIsTTY: false,
    signal: new AbortController().signal,
    cwd: root,
    env: { ...env, RESTIC_REPOSITORY: repo }
  }
  x.code = await main(['restic', ...args], io)
  return x
}
async function restic (args: string[], extra: Record<string, string> = {}): Promise<Out> {
  try {
    const { stdout, stderr } = await run('restic', ['--no-cache', ...args], { cwd: root, env: { ...process.env, ...env, ...extra } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

type Group = { host: string, paths: string[] | null, tags: string[] | null } & Record<string, unknown>
/** restic's groups come in map order: sort them by key. */
function groups (json: string): Group[] {
  return (JSON.parse(json) as Group[]).sort((a, b) => JSON.stringify([a.host, a.paths, a.tags]) < JSON.stringify([b.host, b.paths, b.tags]) ? -1 : 1)
}
/**
 * The text split into the policy line, then as a sorted set: each group (its -v header with its
 * tables; a group without a header, when its key is empty, starts at its table), the summary, and
 * the progress line (its elapsed time left out).
 */
function chunks (text: string): string[] {
  const parts = text.replace(/^\[\d+:\d{2}\] (?=100\.00%)/m, '').split(/^(?=snapshots for \(|Would have removed|100\.00%)|(?<!\):\n)^(?=keep \d+ snapshots:|remove \d+ snapshots:)/m)
  return [parts[0] as string, ...parts.slice(1).sort()]
}

const POLICIES: string[][] = [
  ['--keep-last', '2'],
  ['-l', '3', '--keep-daily', '2', '--keep-weekly', '1'],
  ['-H', '2', '--keep-monthly', '1', '--keep-yearly', '3'],
  ['--keep-daily', '4'],
  ['--keep-weekly', '3', '-m', '2'],
  ['--keep-tag', 'a', '--keep-tag', ''],
  ['--keep-tag', ' a , b ', '--keep-last', '1'],
  ['--keep-tag', 'b', '--keep-within', '1m3d'],
  ['--keep-within', '7d'],
  ['--keep-within', '1y', '--keep-last', '1'],
  ['--keep-within-daily', '10d', '--keep-within-monthly', '1y'],
  ['--keep-within-weekly', '2m', '--keep-within-hourly', '2d', '--keep-within-yearly', '5y'],
  ['--keep-last', '1', '--group-by', 'host'],
  ['--keep-last', '1', '--group-by', 'tags'],
  ['--keep-last', '1', '--group-by', 'host,tags'],
  ['--keep-last', '1', '--group-by', 'paths'],
  ['--keep-daily', '1', '--group-by', ''],
  ['--keep-last', '1', '--group-by', 'hosts,path,tag'],
  ['--keep-last', '1', '--host', 'h2'],
  ['--keep-last', '1', '--tag', 'a'],
  ['--keep-last', '1', '--path', join(root, 'src'), '--path', join(root, 's2')],
  ['--keep-last', '2', '--compact'],
  ['--keep-daily', '1', '--compact', '--group-by', 'tags']
]

describe('forget against real restic 0.14', () => {
  beforeAll(async () => {
    mkdirSync(join(root, 'src'))
    mkdirSync(join(root, 's2'))
    writeFileSync(join(root, 'src', 'f'), 'x\n')
    writeFileSync(join(root, 's2', 'g'), 'y\n')
    await restic(['init'])
    const backups: Array<[string, string, string[], string[]]> = [
      ['h1', '2022-01-01 10:00:00', [], ['src']],
      ['h1', '2022-01-01 12:00:00', ['a,b'], ['src']],
      ['h1', '2022-01-02 09:00:00', ['a'], ['src']],
      ['h1', '2022-01-03 09:00:00', ['a'], ['s2', 'src']],
      ['h1', '2022-01-09 09:00:00', [], ['src']],
      ['h1', '2022-01-09 09:30:00', [], ['src']],
      ['h1', '2022-02-10 08:00:00', ['b'], ['src']],
      ['h1', '2023-03-01 10:00:00', [], ['src']],
      ['h2', '2022-01-05 09:00:00', [], ['src']],
      ['h2', '2022-02-05 09:00:00', ['a'], ['src']]
    ]
    for (const [host, time, tags, paths] of backups) {
      const r = await restic(['backup', '-q', '--host', host, '--time', time, ...tags.flatMap(t => ['--tag', t]), ...paths])
      expect(r.code, r.stderr).toBe(0)
    }
    // Written in Tokyo: 2022-01-10 01:00 +09:00 is 2022-01-09 in UTC; restic's buckets use +09:00.
    const r = await restic(['backup', '-q', '--host', 'h1', '--time', '2022-01-10 01:00:00', 'src'], { TZ: 'Asia/Tokyo' })
    expect(r.code, r.stderr).toBe(0)
  }, 180_000)

  it('--json is restic\'s ForgetGroups (keep, remove, reasons with matches and counters)', async () => {
    for (const policy of POLICIES) {
      const args = ['forget', '--dry-run', '--json', ...policy]
      const theirs = await restic(args)
      expect(theirs.code, theirs.stderr).toBe(0)
      const ours = await cairn(args)
      expect(ours.code, ours.stderr).toBe(0)
      expect(groups(ours.stdout), JSON.stringify(policy)).toEqual(groups(theirs.stdout))
    }
    // The cases above see null removes, multi-reason keeps and counters.
    const all = groups((await cairn(['forget', '-n', '--json', '-l', '3', '--keep-daily', '2', '--keep-weekly', '1'])).stdout)
    expect(all.some(g => g.remove === null)).toBe(true)
    expect(JSON.stringify(all)).toContain('"matches":["last snapshot","daily snapshot","weekly snapshot"],"counters":{"last":2,"daily":1}')
  }, 300_000)

  it('text is restic\'s: Applying Policy, keep tables with Reasons, remove tables, Would have removed', async () => {
    for (const policy of POLICIES) {
      const args = ['forget', '--dry-run', '-v', ...policy]
      const theirs = await restic(args)
      expect(theirs.code, theirs.stderr).toBe(0)
      const ours = await cairn(args)
      expect(ours.code, ours.stderr).toBe(0)
      expect(chunks(ours.stdout), JSON.stringify(policy)).toEqual(chunks(theirs.stdout))
    }
    // Without -v there are no group headers: only one group each, so restic's (random) group order
    // cannot differ (with --group-by host,paths, `--path src` still selects two path sets).
    for (const policy of [['--keep-last', '2', '--group-by', ''], ['--keep-tag', '', '--host', 'h1', '--path', join(root, 'src'), '--group-by', 'host']]) {
      const args = ['forget', '-n', ...policy]
      expect((await cairn(args)).stdout, JSON.stringify(policy)).toBe((await restic(args)).stdout)
    }
  }, 300_000)

  it('no policy: restic\'s message, nothing with --json, exit 0', async () => {
    for (const args of [['forget'], ['forget', '--json'], ['forget', '--keep-within', '0d']]) {
      const theirs = await restic(args)
      const ours = await cairn(args)
      expect([ours.code, ours.stdout], args.join(' ')).toEqual([theirs.code, theirs.stdout])
    }
  }, 60_000)

  it('bad values fail with restic\'s messages', async () => {
    const cases = [['--group-by', 'bogus'], ['--keep-within', '1x'], ['--keep-within', '1'], ['--keep-within-daily', 'y'], ['--keep-last', 'x'], ['-d', '1.5']]
    for (const bad of cases) {
      const args = ['forget', '-n', '--keep-last', '1', ...bad]
      const theirs = await restic(args)
      const ours = await cairn(args)
      expect(theirs.code, bad.join(' ')).not.toBe(0)
      expect(ours.code, bad.join(' ')).not.toBe(0)
      const message = (theirs.stderr.split('\n').find(l => l.includes('invalid') || l.includes('unknown')) as string).replace(/^Fatal: /, '')
      expect(ours.stderr, bad.join(' ')).toContain(message)
    }
  }, 60_000)

  it('forgets for real what restic forgets', async () => {
    for (const policy of [['--keep-daily', '2', '--keep-tag', 'b'], ['--keep-within', '1m', '--group-by', 'host']]) {
      const mine = join(root, 'mine')
      const theirsRepo = join(root, 'theirs')
      rmSync(mine, { recursive: true, force: true })
      rmSync(theirsRepo, { recursive: true, force: true })
      cpSync(env.RESTIC_REPOSITORY as string, mine, { recursive: true })
      cpSync(env.RESTIC_REPOSITORY as string, theirsRepo, { recursive: true })
      const theirs = await restic(['-r', theirsRepo, 'forget', ...policy])
      expect(theirs.code, theirs.stderr).toBe(0)
      const ours = await cairn(['forget', ...policy], mine)
      expect(ours.code, ours.stderr).toBe(0)
      const left = (dir: string): string[] => readdirSync(join(dir, 'snapshots')).sort()
      expect(left(mine)).toEqual(left(theirsRepo))
      expect(left(mine).length).toBeLessThan(readdirSync(join(env.RESTIC_REPOSITORY as string, 'snapshots')).length)
      expect(chunks(ours.stdout), JSON.stringify(policy)).toEqual(chunks(theirs.stdout))
      expect(ours.stdout).toMatch(/^\[\d+:\d{2}\] 100\.00% {2}\d+ \/ \d+ files deleted$/m)
    }
  }, 120_000)
})

describe('forget <snapshot>… against real restic 0.14', () => {
  it('removes exactly the given snapshots (prefix, latest with the filter), ignoring what it cannot find', async () => {
    const all = (JSON.parse((await restic(['snapshots', '--json'])).stdout) as Array<{ id: string }>).map(s => s.id)
    const given = [all[0]?.slice(0, 8) as string, all[1] as string, 'latest', 'ffffffffff']
    for (const args of [['forget', '-n', ...given], ['forget', '-n', '--host', 'h2', ...given], ['forget', '-n', '--json', ...given], ['forget', '-n', '--host', 'h2', all[2] as string]]) {
      const theirs = await restic(args)
      const ours = await cairn(args)
      expect([ours.code, ours.stdout], args.join(' ')).toEqual([theirs.code, theirs.stdout])
      expect(ours.stderr.includes('Ignoring "ffffffffff"'), args.join(' ')).toBe(theirs.stderr.includes('Ignoring "ffffffffff"'))
      expect(ours.stderr.includes('Ignoring filters'), args.join(' ')).toBe(theirs.stderr.includes('Ignoring filters'))
    }
    const mine = join(root, 'mine-ids')
    const theirsRepo = join(root, 'theirs-ids')
    cpSync(env.RESTIC_REPOSITORY as string, mine, { recursive: true })
    cpSync(env.RESTIC_REPOSITORY as string, theirsRepo, { recursive: true })
    expect((await restic(['-r', theirsRepo, 'forget', ...given])).code).toBe(0)
    expect((await cairn(['forget', ...given], mine)).code).toBe(0)
    const left = (dir: string): string[] => readdirSync(join(dir, 'snapshots')).sort()
    expect(left(mine)).toEqual(left(theirsRepo))
    expect(left(mine)).toHaveLength(all.length - 3)
  }, 120_000)
})

describe('applyPolicy', () => {
  const snap = (id: string, time: string, tags?: string[]): Snapshot => ({ id, time, tree: '0'.repeat(64), paths: ['/p'], hostname: 'h', tags })

  it('puts snapshots in buckets by the wall clock written in their time, not UTC', () => {
    // 23:30 at -05:00 is the next day in UTC; both are the same local day, so one daily snapshot.
    const list = [snap('a', '2022-01-01T08:00:00-05:00'), snap('b', '2022-01-01T23:30:00-05:00')]
    expect(applyPolicy(list, { daily: 5 }).keep.map(s => s.id)).toEqual(['b'])
  })

  it('keeps reasons in keep order with the counters left', () => {
    const list = [snap('a', '2022-01-01T08:00:00Z', ['x']), snap('b', '2022-01-02T08:00:00Z'), snap('c', '2022-01-03T08:00:00Z')]
    const res = applyPolicy(list, { last: 1, daily: 2, tags: ['x'] })
    expect(res.keep.map(s => s.id)).toEqual(['c', 'b', 'a'])
    expect(res.reasons.map(r => [r.snapshot.id, r.matches, r.counters])).toEqual([
      ['c', ['last snapshot', 'daily snapshot'], { daily: 1 }],
      ['b', ['daily snapshot'], {}],
      ['a', ['has tags [x]'], {}]
    ])
    expect(res.remove).toEqual([])
  })

  it('-1 keeps without limit (restic 0.15+), counters stay -1', () => {
    const list = [snap('a', '2022-01-01T08:00:00Z'), snap('b', '2022-01-02T08:00:00Z')]
    const res = applyPolicy(list, { daily: -1 })
    expect(res.keep).toHaveLength(2)
    expect(res.reasons[1]?.counters).toEqual({ daily: -1 })
  })

  it('parses restic durations', () => {
    expect(parseDuration(' 1y2m3d4h ')).toEqual({ years: 1, months: 2, days: 3, hours: 4 })
    expect(parseDuration('-2d')).toEqual({ years: 0, months: 0, days: -2, hours: 0 })
    expect(() => parseDuration('3')).toThrow('no unit found after number 3')
    expect(() => parseDuration('3w')).toThrow('invalid unit \'w\' found after number 3')
    expect(() => parseDuration('d')).toThrow('no number found')
  })
})
