/**
 * The snapshot diff view (restic's `diff`): what changed from one snapshot to another, path by
 * path (added, removed, content modified, type changed, and with `metadata` metadata updated),
 * streamed as it is found, then the statistics (files, folders and bytes only one side holds).
 * Progress is one typed event per folder compared; cancel stops the walk.
 */
import type { BackupsContext } from './session.js'
import type { BackupsService } from './types.js'
import type { AbortOptions, ProgressEvent } from '../../core/options.js'
import type { DiffStat } from '../../restic/ops/diff.js'

export type ChangeKind = 'added' | 'removed' | 'modified' | 'type' | 'metadata'

export interface DiffChangeRow {
  kind: 'change'
  path: string
  /** restic's modifier: "+", "-", "M", "T", "U" (or a combination such as "TM"). */
  modifier: string
  change: ChangeKind
}

export interface DiffSummary {
  kind: 'stats'
  changedFiles: number
  added: DiffStat
  removed: DiffStat
}

export type DiffEvents = ProgressEvent<'backups:diff:folder', { path: string, folders: number }>

export interface DiffRunOptions extends AbortOptions {
  onProgress?: ((e: DiffEvents) => void) | undefined
  /** Report metadata-only changes too (restic's `--metadata`). */
  metadata?: boolean | undefined
}

export function changeKind (modifier: string): ChangeKind {
  if (modifier === '+') return 'added'
  if (modifier === '-') return 'removed'
  if (modifier.includes('T')) return 'type'
  if (modifier.includes('M')) return 'modified'
  return 'metadata'
}

export function diffActions (ctx: BackupsContext): Pick<BackupsService, 'diff'> {
  return {
    async * diff (fromId, toId, options = {}) {
      const s = ctx.live()
      const e = await ctx.engine()
      const from = await e.findSnapshot(s.repo, fromId, {}, options)
      const to = await e.findSnapshot(s.repo, toId, {}, options)
      let folders = 0
      for await (const item of e.diff(s.repo, from, to, {
        signal: options.signal,
        metadata: options.metadata,
        onProgress: (evt) => { options.onProgress?.({ type: 'backups:diff:folder', detail: { path: evt.detail.path, folders: ++folders } }) }
      })) {
        if (item.message_type === 'change') yield { kind: 'change', path: item.path, modifier: item.modifier, change: changeKind(item.modifier) }
        else yield { kind: 'stats', changedFiles: item.changed_files, added: item.added, removed: item.removed }
      }
    }
  }
}
