/**
 * Find across snapshots (restic's `find`): a pattern as restic takes it (`*.jpg`, `photos/*`,
 * `/home/**\/notes.md`; without a leading "/" it matches the end of a path) searched in every
 * listed snapshot, newest first. Matches stream out as they are found (the walk waits while the
 * caller is busy, so memory stays bounded), with a typed progress event per snapshot and cancel.
 * Subtrees already searched without a match are not searched again in older snapshots (restic's
 * rule), so a search over many similar snapshots costs little more than over one.
 */
import type { BackupsContext } from './session.js'
import type { BackupsService } from './types.js'
import type { AbortOptions, ProgressEvent } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import type { Snapshot } from '../../restic/repofile/snapshot.js'

/** One match: where it is, and what the snapshot says about it. */
export interface FindHit {
  snapshotId: string
  shortId: string
  /** The snapshot's time (ISO). */
  time: string
  /** Path from the snapshot root, "/a/b". */
  path: string
  type: string
  /** Files only. */
  size: number | undefined
  /** ISO time, as the snapshot stores it. */
  mtime: string
}

export type FindEvents =
  | ProgressEvent<'backups:find:snapshot', { id: string, done: number, total: number }>

export interface FindRunOptions extends AbortOptions {
  onProgress?: ((e: FindEvents) => void) | undefined
  ignoreCase?: boolean | undefined
  /** Only these snapshots (full IDs); default every listed snapshot. */
  snapshots?: readonly string[] | undefined
}

export function findActions (ctx: BackupsContext): Pick<BackupsService, 'find'> {
  return {
    async * find (pattern, options = {}) {
      const s = ctx.live()
      const e = await ctx.engine()
      const pat = pattern.trim()
      if (pat === '') throw new InvalidInputError('Type a name or a pattern to find, e.g. "*.jpg" or "notes.md".')
      // Damaged snapshot files are reported by the snapshot list already.
      let snaps = (await e.listSnapshots(s.repo, {}, { signal: options.signal, onSkipped: () => {} })).reverse()
      if (options.snapshots !== undefined) {
        const only = new Set(options.snapshots)
        snaps = snaps.filter(x => only.has(x.id))
      }
      const total = snaps.length
      let done = 0
      const time = (snap: Snapshot): string => new Date(Number(e.parseTime(snap.time) / 1_000_000n)).toISOString()
      const matches = e.findNodes(s.repo, snaps, [pat], {
        signal: options.signal,
        ignoreCase: options.ignoreCase,
        onProgress: (evt) => { options.onProgress?.({ type: 'backups:find:snapshot', detail: { id: evt.detail.id, done: done++, total } }) }
      })
      for await (const m of matches) {
        yield {
          snapshotId: m.snapshot.id,
          shortId: m.snapshot.id.slice(0, 8),
          time: time(m.snapshot),
          path: m.path,
          type: m.node.type,
          size: m.node.type === 'file' ? m.node.size ?? 0 : undefined,
          mtime: m.node.mtime
        }
      }
      options.onProgress?.({ type: 'backups:find:snapshot', detail: { id: '', done: total, total } })
    }
  }
}
