/** Listing, filtering and resolving snapshots (`ID`, short ID prefix, or `latest`). */
import type { AbortOptions } from '../../core/options.js'
import { isAbortError } from '../../core/errors.js'
import { DamagedFileError, SnapshotNotFoundError } from '../errors.js'
import { encodeSnapshot, parseSnapshot } from '../repofile/snapshot.js'
import type { Snapshot, SnapshotFile } from '../repofile/snapshot.js'
import type { Repository } from '../repository/repository.js'
import { parseTime } from '../util/go-json.js'

export interface SnapshotFilter {
  hosts?: string[] | undefined
  /** Each entry is a comma-separated list that must all be present (restic `--tag a,b`); any entry matching suffices. */
  tags?: string[] | undefined
  paths?: string[] | undefined
}

export async function loadSnapshot (repo: Repository, id: string, options?: AbortOptions): Promise<Snapshot> {
  const json = await repo.loadJSON('snapshots', id, options)
  try {
    return { ...parseSnapshot(json), id }
  } catch (err) {
    throw new DamagedFileError(repo.describe({ type: 'snapshots', name: id }), (err as Error).message, { cause: err })
  }
}

export interface ListSnapshotsOptions extends AbortOptions {
  /** Told about each snapshot file that could not be loaded (damaged, unreadable); it is left out. */
  onSkipped?: ((id: string, err: Error) => void) | undefined
}

/**
 * All snapshots, oldest first. As restic does, a snapshot file that cannot be loaded (damaged,
 * unreadable) is left out and reported to `onSkipped` ("could not load snapshot …"), so one bad
 * file never hides the others; only a cancel, or a failure to list the folder, fails the listing.
 */
export async function listSnapshots (repo: Repository, filter: SnapshotFilter = {}, options?: ListSnapshotsOptions): Promise<Snapshot[]> {
  const out: Snapshot[] = []
  for (const f of await repo.backend.list('snapshots', options)) {
    let s: Snapshot
    try {
      s = await loadSnapshot(repo, f.name, options)
    } catch (err) {
      if (isAbortError(err) || options?.signal?.aborted === true) throw err
      options?.onSkipped?.(f.name, err as Error)
      continue
    }
    if (matches(s, filter)) out.push(s)
  }
  return out.sort(compareTime)
}

export function compareTime (a: SnapshotFile, b: SnapshotFile): number {
  const d = parseTime(a.time) - parseTime(b.time)
  return d < 0n ? -1 : d > 0n ? 1 : 0
}

/**
 * restic 0.14's `HasTags` for one `--tag` value: its comma-separated tags (trimmed) must all be on
 * the snapshot, except that an empty tag met while checking an untagged snapshot matches it (so
 * `--tag ""` selects the snapshots without tags).
 */
export function hasTagGroup (group: string, tags: readonly string[] | undefined): boolean {
  const have = tags ?? []
  for (const t of group.split(',').map(t => t.trim())) {
    if (t === '' && have.length === 0) return true
    if (!have.includes(t)) return false
  }
  return true
}

export function matches (s: SnapshotFile, f: SnapshotFilter): boolean {
  if (f.hosts !== undefined && f.hosts.length > 0 && !f.hosts.includes(s.hostname ?? '')) return false
  if (f.tags !== undefined && f.tags.length > 0 && !f.tags.some(group => hasTagGroup(group, s.tags))) return false
  if (f.paths !== undefined && f.paths.length > 0) {
    const have = new Set(s.paths)
    if (!f.paths.every(p => have.has(p))) return false
  }
  return true
}

/** Resolve a full ID, a unique ID prefix, or `latest` (newest matching the filter). */
export async function findSnapshot (repo: Repository, ref: string, filter: SnapshotFilter = {}, options?: ListSnapshotsOptions): Promise<Snapshot> {
  if (ref === 'latest') {
    const all = await listSnapshots(repo, filter, options)
    const last = all[all.length - 1]
    if (last === undefined) throw new SnapshotNotFoundError(`no snapshot found in ${repo.backend.location}${filter.hosts !== undefined || filter.tags !== undefined || filter.paths !== undefined ? ' matching the filter' : ''}. Run \`cairn restic snapshots\` to list them.`)
    return last
  }
  if (!/^[0-9a-f]{1,64}$/.test(ref)) throw new SnapshotNotFoundError(`"${ref}" is not a snapshot ID; give an ID, a unique prefix of one, or "latest".`)
  const names = (await repo.backend.list('snapshots', options)).map(f => f.name).filter(n => n.startsWith(ref))
  if (names.length === 0) throw new SnapshotNotFoundError(`no snapshot with ID ${ref} in ${repo.backend.location}. Run \`cairn restic snapshots\` to list them.`)
  if (names.length > 1) throw new SnapshotNotFoundError(`snapshot prefix ${ref} is ambiguous (${names.length} matches); give more characters.`)
  return await loadSnapshot(repo, names[0] as string, options)
}

export async function saveSnapshot (repo: Repository, s: SnapshotFile, options?: AbortOptions): Promise<string> {
  return await repo.saveUnpacked('snapshots', encodeSnapshot(s), options)
}
