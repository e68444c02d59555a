/** `forget`: restic 0.14's forget, its flags, text (tables with reasons) and `--json` (ForgetGroup) output. */
import { InvalidInputError } from '../../../core/errors.js'
import { flag, list, skipped, str } from './context.js'
import { runPrune } from './cmd-prune.js'
import { snapshotTable } from './snapshot-table.js'
import type { Restic, ResticCommand, ResticContext, Values } from './context.js'
import type { Duration, ForgetGroup, ForgetPolicy, Snapshot } from '../../../restic/index.js'

const KEEP = [['last', 'l'], ['hourly', 'H'], ['daily', 'd'], ['weekly', 'w'], ['monthly', 'm'], ['yearly', 'y']] as const
const WITHIN = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const

/** pflag's IntVarP: Go's ParseInt with base 0, and its error. */
function keepCount (values: Values, name: string, short: string): number | undefined {
  const v = str(values, `keep-${name}`)
  if (v === undefined) return undefined
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9]\d*|0)$/.exec(v.replaceAll('_', ''))
  if (m === null) throw new InvalidInputError(`invalid argument "${v}" for "-${short}, --keep-${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`)
  const body = m[2] as string
  const n = Number(/^0[0-7]/.test(body) ? '0o' + body.slice(1) : body.toLowerCase().replace(/^0o/, '0o')) * (m[1] === '-' ? -1 : 1)
  if (n < -1) throw new InvalidInputError(`--keep-${name} needs a whole number of at least -1 (-1: no limit), got "${v}".`)
  return n
}

function duration (r: Restic, values: Values, name: string): Duration | undefined {
  const v = str(values, name)
  if (v === undefined) return undefined
  try {
    return r.parseDuration(v)
  } catch (err) {
    throw new InvalidInputError(`invalid argument "${v}" for "--${name}" flag: ${(err as Error).message}`)
  }
}

/** restic's JSON `Snapshot` (cmd_snapshots.go): the snapshot with `id` and `short_id`. */
const withId = (s: Snapshot): Snapshot & { short_id: string } => ({ ...s, short_id: s.id.slice(0, 8) })
/** The bare `restic.Snapshot` a KeepReason holds (no ID). */
const bare = ({ id: _id, ...s }: Snapshot): Omit<Snapshot, 'id'> => s
const nilSlice = <T>(a: T[]): T[] | null => a.length === 0 ? null : a

function forgetJson (groups: ForgetGroup[]): string {
  return JSON.stringify(groups.map(g => ({
    tags: g.key.tags,
    host: g.key.hostname,
    paths: g.key.paths,
    keep: nilSlice(g.keep.map(withId)),
    remove: nilSlice(g.remove.map(withId)),
    reasons: nilSlice(g.reasons.map(r => ({ snapshot: bare(r.snapshot), matches: r.matches, counters: r.counters })))
  }))) + '\n'
}

/** restic's PrintSnapshotGroupHeader (shown with -v). */
function groupHeader (key: ForgetGroup['key']): string {
  if (key.hostname === '' && key.tags === null && key.paths === null) return ''
  const info = [
    ...(key.hostname !== '' ? [`host [${key.hostname}]`] : []),
    ...(key.tags !== null ? [`tags [${key.tags.join(', ')}]`] : []),
    ...(key.paths !== null ? [`paths [${key.paths.join(', ')}]`] : [])
  ]
  return `snapshots for (${info.join(', ')}):\n`
}

const command: ResticCommand = {
  name: 'forget',
  usage: `  forget [<snapshot>...]        remove the given snapshots, or snapshots by policy: --keep-last/-hourly/-daily/-weekly/-monthly/-yearly N,
                                --keep-within[-hourly|-daily|-weekly|-monthly|-yearly] 1y2m3d4h, --keep-tag a,b;
                                --group-by host,paths,tags (default host,paths); --compact; -v; --prune; -n`,
  options: {
    ...Object.fromEntries(KEEP.map(([k, short]) => [`keep-${k}`, { type: 'string' as const, short }])),
    'keep-within': { type: 'string' },
    ...Object.fromEntries(WITHIN.map(k => [`keep-within-${k}`, { type: 'string' as const }])),
    'keep-tag': { type: 'string', multiple: true },
    compact: { type: 'boolean', short: 'c' },
    'group-by': { type: 'string', short: 'g' },
    verbose: { type: 'boolean', short: 'v', multiple: true },
    prune: { type: 'boolean' },
    'dry-run': { type: 'boolean', short: 'n' }
  },
  async run (ctx) {
    const { r, repo, values, io, json, filter, signal } = ctx
    const policy: ForgetPolicy = {
      ...Object.fromEntries(KEEP.map(([k, short]) => [k, keepCount(values, k, short)])),
      within: duration(r, values, 'keep-within'),
      ...Object.fromEntries(WITHIN.map(k => [`within${k[0]?.toUpperCase() ?? ''}${k.slice(1)}`, duration(r, values, `keep-within-${k}`)])),
      tags: list(values, 'keep-tag')
    }
    const groupBy = r.parseGroupBy(str(values, 'group-by') ?? 'host,paths')
    const dryRun = flag(values, 'dry-run')
    const verbose = Array.isArray(values.verbose) ? values.verbose.length : values.verbose === true ? 1 : 0
    const compact = flag(values, 'compact')
    if (ctx.args.length > 0) return await forgetGiven(ctx, dryRun, verbose)
    if (r.policyEmpty(policy)) {
      if (!json) io.out('no policy was specified, no snapshots will be removed\n')
      return 0
    }
    if (!json) io.out(`Applying Policy: ${r.describePolicy(policy)}\n`)
    const started = Date.now()
    const groups = await r.forget(repo, policy, { filter, groupBy, dryRun, signal })
    if (json) io.out(forgetJson(groups))
    else {
      for (const g of groups) {
        if (verbose >= 1) io.out(groupHeader(g.key))
        if (g.keep.length > 0) io.out(`keep ${g.keep.length} snapshots:\n${snapshotTable(g.keep, g.reasons, compact)}\n`)
        if (g.remove.length > 0) io.out(`remove ${g.remove.length} snapshots:\n${snapshotTable(g.remove, undefined, compact)}\n`)
      }
    }
    const removed = groups.flatMap(g => g.remove.map(s => s.id))
    return await finish(ctx, removed, dryRun, verbose, started)
  }
}

/** restic's summary after removing (or, on a dry run, not removing) `removed`, then --prune. */
async function finish (ctx: ResticContext, ids: string[], dryRun: boolean, verbose: number, started: number): Promise<number> {
  const { io, json, values } = ctx
  const removed = [...new Set(ids)].sort()
  if (removed.length > 0 && !json) {
    if (dryRun) io.out(`Would have removed the following snapshots:\n{${removed.map(id => id.slice(0, 8)).join(' ')}}\n\n`)
    else {
      if (verbose >= 2) for (const id of removed) io.out(`removed <snapshot/${id.slice(0, 10)}>\n`)
      const secs = Math.floor((Date.now() - started) / 1000)
      io.out(`[${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}] 100.00%  ${removed.length} / ${removed.length} files deleted\n\n`)
    }
  }
  if (removed.length > 0 && flag(values, 'prune') && !dryRun) {
    if (!json) io.out(`${removed.length} snapshots have been removed, running prune\n`)
    return await runPrune(ctx)
  }
  return 0
}

/** `forget <ID|prefix|latest>…`: remove exactly these (restic ignores, with a warning, what it cannot find). */
async function forgetGiven (ctx: ResticContext, dryRun: boolean, verbose: number): Promise<number> {
  const { r, repo, io, filter, signal } = ctx
  const started = Date.now()
  const ids: string[] = []
  for (const ref of ctx.args) {
    try {
      ids.push((await r.findSnapshot(repo, ref, ref === 'latest' ? filter : {}, { signal, onSkipped: skipped(io) })).id)
    } catch (err) {
      if (!(err instanceof r.SnapshotNotFoundError)) throw err
      io.err(`Ignoring "${ref}": ${err.message}\n`)
    }
  }
  const filtered = (filter.hosts ?? []).length + (filter.tags ?? []).length + (filter.paths ?? []).length > 0
  if (filtered && !ctx.args.includes('latest')) io.err('Ignoring filters as there are explicit snapshot ids given\n')
  await r.forgetSnapshots(repo, [...new Set(ids)], { dryRun, signal })
  return await finish(ctx, ids, dryRun, verbose, started)
}
export default command
