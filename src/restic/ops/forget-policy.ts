/**
 * restic 0.14's expire policy (`ExpirePolicy`, `ApplyPolicy`): which snapshots of one group to keep,
 * and why (`KeepReason`). Buckets use the wall clock written in each snapshot's time, as Go's
 * `time.Time` parsed from it does.
 */
import { InvalidInputError } from '../../core/errors.js'
import type { Snapshot } from '../repofile/snapshot.js'
import { parseTime } from '../util/go-json.js'
import { hasTagGroup } from './snapshots.js'

/** restic's `Duration`: years, months, days and hours (`1y2m3d4h`). */
export interface Duration { years: number, months: number, days: number, hours: number }

const COUNTS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const
const WITHINS = ['withinHourly', 'withinDaily', 'withinWeekly', 'withinMonthly', 'withinYearly'] as const
type CountKind = typeof COUNTS[number]

export interface ForgetPolicy {
  last?: number | undefined
  hourly?: number | undefined
  daily?: number | undefined
  weekly?: number | undefined
  monthly?: number | undefined
  yearly?: number | undefined
  /** Keep every snapshot newer than this, relative to the newest (not future) snapshot. */
  within?: Duration | undefined
  withinHourly?: Duration | undefined
  withinDaily?: Duration | undefined
  withinWeekly?: Duration | undefined
  withinMonthly?: Duration | undefined
  withinYearly?: Duration | undefined
  /** Always keep snapshots carrying one of these tag lists (each `a,b`, as `--keep-tag`). */
  tags?: string[] | undefined
}

/** Why a snapshot is kept, and the counters left after it (restic's `KeepReason`). */
export interface KeepReason {
  snapshot: Snapshot
  matches: string[]
  counters: Partial<Record<CountKind, number>>
}

/** restic's `ParseDuration`, with its error messages. */
export function parseDuration (input: string): Duration {
  const d: Duration = { years: 0, months: 0, days: 0, hours: 0 }
  let s = input.trim()
  while (s !== '') {
    const m = /^(-?)(\d*)(.*)$/s.exec(s) as RegExpExecArray
    if (m[2] === '') throw new InvalidInputError('no number found')
    const num = Number(m[2]) * (m[1] === '-' ? -1 : 1)
    s = m[3] as string
    if (s === '') throw new InvalidInputError(`no unit found after number ${num}`)
    const unit = s[0] as string
    if (unit === 'y') d.years = num
    else if (unit === 'm') d.months = num
    else if (unit === 'd') d.days = num
    else if (unit === 'h') d.hours = num
    else throw new InvalidInputError(`invalid unit '${unit}' found after number ${num}`)
    s = s.slice(1)
  }
  return d
}

export function formatDuration (d: Duration): string {
  return (d.years !== 0 ? `${d.years}y` : '') + (d.months !== 0 ? `${d.months}m` : '') + (d.days !== 0 ? `${d.days}d` : '') + (d.hours !== 0 ? `${d.hours}h` : '')
}

function zero (d: Duration | undefined): boolean {
  return d === undefined || (d.years === 0 && d.months === 0 && d.days === 0 && d.hours === 0)
}

/** A `--keep-tag` value as restic's TagList prints it: `[a, b]`. */
function tagList (group: string): string {
  return '[' + group.split(',').map(t => t.trim()).join(', ') + ']'
}

export function policyEmpty (p: ForgetPolicy): boolean {
  return COUNTS.every(k => (p[k] ?? 0) === 0) && zero(p.within) && WITHINS.every(k => zero(p[k])) && (p.tags ?? []).length === 0
}

/** The policy as restic's `Applying Policy: …` line describes it. */
export function describePolicy (p: ForgetPolicy): string {
  const names: Record<CountKind, string> = { last: 'latest', hourly: 'hourly', daily: 'daily', weekly: 'weekly', monthly: 'monthly', yearly: 'yearly' }
  const keeps = COUNTS.filter(k => (p[k] ?? 0) > 0).map(k => `${p[k] ?? 0} ${names[k]}`)
  const keepw = WITHINS.filter(k => !zero(p[k])).map(k => `${k.slice(6).toLowerCase()} snapshots within ${formatDuration(p[k] as Duration)}`)
  let s = keeps.length > 0 ? `${keeps.join(', ')} snapshots` : ''
  if (keepw.length > 0) s += (s !== '' ? ', ' : '') + keepw.join(', ')
  if ((p.tags ?? []).length > 0) s += (s !== '' ? ' and ' : '') + `all snapshots with tags [${(p.tags ?? []).map(tagList).join(' ')}]`
  if (!zero(p.within)) s += (s !== '' ? ' and ' : '') + `all snapshots within ${formatDuration(p.within as Duration)} of the newest`
  return 'keep ' + s
}

/** The wall clock written in a snapshot time (its own offset), as Go's Year()/Month()/Day()/Hour(). */
function wall (time: string): { y: number, m: number, d: number, h: number, ms: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(time)
  if (m === null) throw new RangeError(`invalid time "${time}"`)
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  return { y, m: mo, d, h, ms: utc(y, mo - 1, d, h, mi, s) }
}

function utc (y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const t = new Date(0)
  t.setUTCFullYear(y, mo, d)
  t.setUTCHours(h, mi, s, 0)
  return t.getTime()
}

type Bucket = (time: string, nr: number) => number
const ymdh: Bucket = (t) => { const w = wall(t); return w.y * 1_000_000 + w.m * 10_000 + w.d * 100 + w.h }
const ymd: Bucket = (t) => { const w = wall(t); return w.y * 10_000 + w.m * 100 + w.d }
const ym: Bucket = (t) => { const w = wall(t); return w.y * 100 + w.m }
const yr: Bucket = (t) => wall(t).y
const always: Bucket = (_t, nr) => nr
/** Go's `ISOWeek` as YYYYWW. */
const yw: Bucket = (time) => {
  const w = wall(time)
  const t = new Date(utc(w.y, w.m - 1, w.d, 0, 0, 0))
  const dow = t.getUTCDay() === 0 ? 7 : t.getUTCDay()
  t.setUTCDate(t.getUTCDate() + 4 - dow) // the Thursday of this week decides its year
  const year = t.getUTCFullYear()
  const week = Math.floor((t.getTime() - utc(year, 0, 1, 0, 0, 0)) / 86_400_000 / 7) + 1
  return year * 100 + week
}

/** `latest.AddDate(-y, -m, -d).Add(-h hours)` in nanoseconds; snapshots after it are "within". */
function cutoff (latest: string, d: Duration): bigint {
  const w = wall(latest)
  const m = /T(\d{2}):(\d{2}):(\d{2})/.exec(latest) as RegExpExecArray
  const shifted = utc(w.y - d.years, w.m - 1 - d.months, w.d - d.days, w.h, Number(m[2]), Number(m[3]))
  return parseTime(latest) + BigInt(shifted - w.ms) * 1_000_000n - BigInt(d.hours) * 3_600_000_000_000n
}

/** Apply a policy to one group of snapshots (restic `ApplyPolicy`): keep and reasons newest first. */
export function applyPolicy (snapshots: Snapshot[], policy: ForgetPolicy): { keep: Snapshot[], remove: Snapshot[], reasons: KeepReason[] } {
  const list = [...snapshots].sort((a, b) => { const d = parseTime(b.time) - parseTime(a.time); return d > 0n ? 1 : d < 0n ? -1 : 0 })
  if (policyEmpty(policy)) return { keep: list, remove: [], reasons: list.map(s => ({ snapshot: s, matches: ['policy is empty'], counters: {} })) }
  const bucketers: Bucket[] = [always, ymdh, ymd, yw, ym, yr]
  const reasonsText = ['last snapshot', 'hourly snapshot', 'daily snapshot', 'weekly snapshot', 'monthly snapshot', 'yearly snapshot']
  const buckets = COUNTS.map((k, i) => ({ count: policy[k] ?? 0, bucket: bucketers[i] as Bucket, last: -1, reason: reasonsText[i] as string }))
  const withins = WITHINS.map((k, i) => ({ within: policy[k], bucket: bucketers[i + 1] as Bucket, last: -1, reason: `${k.slice(6).toLowerCase()} within` }))
  // The newest snapshot that is not in the future.
  const now = BigInt(Date.now()) * 1_000_000n
  const latest = list.find(s => parseTime(s.time) < now)?.time
  const after = (s: Snapshot, d: Duration): boolean => latest === undefined || parseTime(s.time) > cutoff(latest, d)
  const keep: Snapshot[] = []
  const remove: Snapshot[] = []
  const reasons: KeepReason[] = []
  list.forEach((s, nr) => {
    const matches: string[] = []
    for (const group of policy.tags ?? []) if (hasTagGroup(group, s.tags)) matches.push(`has tags ${tagList(group)}`)
    if (!zero(policy.within) && after(s, policy.within as Duration)) matches.push(`within ${formatDuration(policy.within as Duration)}`)
    for (const b of buckets) {
      if (b.count === 0 || b.count < -1) continue // -1: no limit (restic 0.15+)
      const v = b.bucket(s.time, nr)
      if (v !== b.last) {
        b.last = v
        if (b.count > 0) b.count--
        matches.push(b.reason)
      }
    }
    for (const b of withins) {
      if (zero(b.within) || !after(s, b.within as Duration)) continue
      const v = b.bucket(s.time, nr)
      if (v !== b.last) {
        b.last = v
        matches.push(`${b.reason} ${formatDuration(b.within as Duration)}`)
      }
    }
    if (matches.length === 0) { remove.push(s); return }
    keep.push(s)
    const counters: KeepReason['counters'] = {}
    buckets.forEach((b, i) => { if (b.count !== 0) counters[COUNTS[i] as CountKind] = b.count })
    reasons.push({ snapshot: s, matches, counters })
  })
  return { keep, remove, reasons }
}
