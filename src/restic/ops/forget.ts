/** `forget`: choose snapshots to keep with restic's policy (keep-last/hourly/daily/weekly/monthly/yearly). */
import type { AbortOptions } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Repository } from '../repository/repository.js'
import { lockRepository } from '../repository/lock.js'
import { parseTime } from '../util/go-json.js'
import { hasTagGroup, listSnapshots } from './snapshots.js'
import type { SnapshotFilter } from './snapshots.js'

export interface ForgetPolicy {
  last?: number | undefined
  hourly?: number | undefined
  daily?: number | undefined
  weekly?: number | undefined
  monthly?: number | undefined
  yearly?: number | undefined
  /** Always keep snapshots carrying these tags. */
  tags?: string[] | undefined
}

export interface ForgetGroup {
  key: { hostname: string, paths: string[] }
  keep: Snapshot[]
  remove: Snapshot[]
}

/** restic's bucket functions, on the snapshot's time in UTC. */
function bucket (kind: keyof ForgetPolicy, s: Snapshot, i: number): string {
  const d = new Date(Number(parseTime(s.time) / 1_000_000n))
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth() + 1
  switch (kind) {
    case 'last': return String(i)
    case 'hourly': return `${y}-${m}-${d.getUTCDate()}-${d.getUTCHours()}`
    case 'daily': return `${y}-${m}-${d.getUTCDate()}`
    case 'weekly': {
      // ISO week, as Go's time.ISOWeek.
      const t = new Date(Date.UTC(y, m - 1, d.getUTCDate()))
      t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() === 0 ? 7 : t.getUTCDay()))
      const week = Math.ceil(((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86400000 + 1) / 7)
      return `${t.getUTCFullYear()}-${week}`
    }
    case 'monthly': return `${y}-${m}`
    case 'yearly': return `${y}`
    default: return ''
  }
}

const KINDS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const

export function policyEmpty (p: ForgetPolicy): boolean {
  return KINDS.every(k => (p[k] ?? 0) === 0) && (p.tags ?? []).length === 0
}

/** Apply a policy to one group of snapshots (restic `ApplyPolicy`). */
export function applyPolicy (snapshots: Snapshot[], policy: ForgetPolicy): { keep: Snapshot[], remove: Snapshot[] } {
  const newestFirst = [...snapshots].sort((a, b) => { const d = parseTime(b.time) - parseTime(a.time); return d > 0n ? 1 : d < 0n ? -1 : 0 })
  const counters = KINDS.map(k => ({ kind: k, left: policy[k] ?? 0, last: undefined as string | undefined }))
  const keep: Snapshot[] = []
  const remove: Snapshot[] = []
  newestFirst.forEach((s, i) => {
    let keepIt = (policy.tags ?? []).some(group => hasTagGroup(group, s.tags))
    for (const c of counters) {
      if (c.left === 0) continue
      const v = bucket(c.kind, s, i)
      if (v !== c.last) {
        keepIt = true
        c.last = v
        if (c.left > 0) c.left--
      }
    }
    ;(keepIt ? keep : remove).push(s)
  })
  return { keep, remove }
}

export interface ForgetOptions extends AbortOptions {
  filter?: SnapshotFilter | undefined
  dryRun?: boolean | undefined
}

/** Group snapshots by host and paths, apply the policy, and delete the others (unless dry run). */
export async function forget (repo: Repository, policy: ForgetPolicy, options: ForgetOptions = {}): Promise<ForgetGroup[]> {
  if (policyEmpty(policy)) throw new InvalidInputError('no policy was given (use --keep-last, --keep-daily, …); no snapshots would be removed.')
  const lock = options.dryRun === true ? undefined : await lockRepository(repo, { exclusive: true }, options)
  try {
    const groups = new Map<string, Snapshot[]>()
    for (const s of await listSnapshots(repo, options.filter, options)) {
      const key = JSON.stringify([s.hostname ?? '', [...s.paths].sort()])
      groups.set(key, [...(groups.get(key) ?? []), s])
    }
    const out: ForgetGroup[] = []
    for (const [key, list] of groups) {
      const [hostname, paths] = JSON.parse(key) as [string, string[]]
      const { keep, remove } = applyPolicy(list, policy)
      out.push({ key: { hostname, paths }, keep, remove })
      if (options.dryRun !== true) {
        if (remove.length > 0) await lock?.check(options) // never delete without the exclusive lock
        for (const s of remove) await repo.backend.remove({ type: 'snapshots', name: s.id }, options)
      }
    }
    return out
  } finally {
    await lock?.release()
  }
}
