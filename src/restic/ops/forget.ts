/** `forget`: group snapshots (restic's `--group-by`), apply the policy to each group, delete the others. */
import type { AbortOptions } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Repository } from '../repository/repository.js'
import { lockRepository } from '../repository/lock.js'
import { applyPolicy, policyEmpty } from './forget-policy.js'
import type { ForgetPolicy, KeepReason } from './forget-policy.js'
import { listSnapshots } from './snapshots.js'
import type { SnapshotFilter } from './snapshots.js'

export { applyPolicy, describePolicy, parseDuration, formatDuration, policyEmpty } from './forget-policy.js'
export type { Duration, ForgetPolicy, KeepReason } from './forget-policy.js'

/** What snapshots are grouped by; restic's default is host and paths. */
export interface GroupBy { host: boolean, paths: boolean, tags: boolean }

/** restic's `--group-by` value (`host,paths`, `tags`, `''` for one group). */
export function parseGroupBy (s: string): GroupBy {
  const g: GroupBy = { host: false, paths: false, tags: false }
  for (const option of s.split(',')) {
    if (option === 'host' || option === 'hosts') g.host = true
    else if (option === 'path' || option === 'paths') g.paths = true
    else if (option === 'tag' || option === 'tags') g.tags = true
    else if (option !== '') throw new InvalidInputError(`unknown grouping option: '${option}' (use host, paths and/or tags, separated by commas, or '' for no grouping)`)
  }
  return g
}

export interface ForgetGroup {
  /** restic's SnapshotGroupKey: "" and null for what is not grouped by. */
  key: { hostname: string, paths: string[] | null, tags: string[] | null }
  /** Newest first, as restic's ApplyPolicy returns them; `reasons` is in the same order. */
  keep: Snapshot[]
  remove: Snapshot[]
  reasons: KeepReason[]
}

export interface ForgetOptions extends AbortOptions {
  filter?: SnapshotFilter | undefined
  groupBy?: GroupBy | undefined
  dryRun?: boolean | undefined
}

/**
 * Group snapshots (host and paths unless `groupBy` says otherwise), apply the policy, and delete
 * the others (unless dry run). As restic does, each snapshot's paths are sorted, and its tags too
 * when grouping by tags. Groups come in the order of their keys.
 */
export async function forget (repo: Repository, policy: ForgetPolicy, options: ForgetOptions = {}): Promise<ForgetGroup[]> {
  if (policyEmpty(policy)) throw new InvalidInputError('no policy was given (use --keep-last, --keep-daily, …); no snapshots would be removed.')
  const by = options.groupBy ?? { host: true, paths: true, tags: false }
  const lock = options.dryRun === true ? undefined : await lockRepository(repo, { exclusive: true }, options)
  try {
    const groups = new Map<string, { key: ForgetGroup['key'], list: Snapshot[] }>()
    for (const found of await listSnapshots(repo, options.filter, options)) {
      const s: Snapshot = { ...found, paths: [...found.paths].sort() }
      if (by.tags && s.tags !== undefined) s.tags = [...s.tags].sort()
      const key = { hostname: by.host ? s.hostname ?? '' : '', paths: by.paths ? s.paths : null, tags: by.tags && s.tags !== undefined && s.tags !== null ? s.tags : null }
      const k = JSON.stringify(key)
      const g = groups.get(k) ?? { key, list: [] }
      g.list.push(s)
      groups.set(k, g)
    }
    const out: ForgetGroup[] = []
    for (const k of [...groups.keys()].sort()) {
      const { key, list } = groups.get(k) as { key: ForgetGroup['key'], list: Snapshot[] }
      out.push({ key, ...applyPolicy(list, policy) })
    }
    if (options.dryRun !== true) {
      const remove = out.flatMap(g => g.remove)
      if (remove.length > 0) await lock?.check(options) // never delete without the exclusive lock
      for (const s of remove) await repo.backend.remove({ type: 'snapshots', name: s.id }, options)
    }
    return out
  } finally {
    await lock?.release()
  }
}

/** Remove the given snapshots (restic `forget <ID>…`), under the exclusive lock; a dry run removes nothing. */
export async function forgetSnapshots (repo: Repository, ids: string[], options: AbortOptions & { dryRun?: boolean | undefined } = {}): Promise<void> {
  if (options.dryRun === true || ids.length === 0) return
  const lock = await lockRepository(repo, { exclusive: true }, options)
  try {
    await lock.check(options) // never delete without the exclusive lock
    for (const id of ids) await repo.backend.remove({ type: 'snapshots', name: id }, options)
  } finally {
    await lock.release()
  }
}
