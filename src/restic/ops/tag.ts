/**
 * `tag --set/--add/--remove`: change snapshots' tags as restic 0.14 does. A changed snapshot is
 * saved as a new file (so it gets a new ID) that keeps the first ID in `original`, then the old
 * file is removed; all under an exclusive lock.
 */
import type { OperationOptions } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Repository } from '../repository/repository.js'
import { lockRepository } from '../repository/lock.js'
import { saveSnapshot } from './snapshots.js'

export interface TagChange {
  /** Replace the tags with these (`[""]` clears them). */
  set?: string[] | undefined
  add?: string[] | undefined
  remove?: string[] | undefined
}

export type TagProgressEvents = { type: 'restic:tag:changed', detail: { oldId: string, newId: string, tags: string[] } }

export type TagOptions = OperationOptions<TagProgressEvents>

export interface TagResult {
  /** old ID → new ID, for each snapshot that changed. */
  changed: Array<{ oldId: string, newId: string }>
}

/** The tags after the change, and whether they changed (restic's AddTags/RemoveTags, order included). */
export function changeTags (tags: string[], change: TagChange): { tags: string[], changed: boolean } {
  const set = change.set ?? []
  if (set.length > 0) return { tags: set.length === 1 && set[0] === '' ? [] : [...set], changed: true }
  const out = [...tags]
  let changed = false
  for (const t of change.add ?? []) {
    if (!out.includes(t)) { out.push(t); changed = true }
  }
  for (const t of change.remove ?? []) {
    const i = out.indexOf(t)
    if (i >= 0) {
      // restic swaps the last tag into the removed one's place
      out[i] = out[out.length - 1] as string
      out.pop()
      changed = true
    }
  }
  return { tags: out, changed }
}

/** Throws when the change does nothing, or mixes set with add/remove (as restic refuses). */
export function checkTagChange (change: TagChange): void {
  const hasSet = (change.set ?? []).length > 0
  if (!hasSet && (change.add ?? []).length === 0 && (change.remove ?? []).length === 0) throw new InvalidInputError('nothing to do: give --set, --add or --remove.')
  if (hasSet && ((change.add ?? []).length > 0 || (change.remove ?? []).length > 0)) throw new InvalidInputError('--set and --add/--remove cannot be given at the same time.')
}

export async function tagSnapshots (repo: Repository, snapshots: Iterable<Snapshot> | AsyncIterable<Snapshot>, change: TagChange, options: TagOptions = {}): Promise<TagResult> {
  checkTagChange(change)
  const lock = await lockRepository(repo, { exclusive: true }, options)
  try {
    const result: TagResult = { changed: [] }
    for await (const snap of snapshots) {
      const next = changeTags(snap.tags ?? [], change)
      if (!next.changed) continue
      const { id, ...file } = snap
      await lock.check(options)
      const newId = await saveSnapshot(repo, { ...file, tags: next.tags, original: snap.original ?? id }, options)
      await repo.backend.remove({ type: 'snapshots', name: id }, options)
      result.changed.push({ oldId: id, newId })
      emit(options, 'restic:tag:changed', { oldId: id, newId, tags: next.tags })
    }
    return result
  } finally {
    await lock.release()
  }
}
