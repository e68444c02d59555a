/**
 * Pure parts of a restore from the Backups page:
 * - `planRestore`: several entries picked in the snapshot browser become ONE restore: the restorer
 *   starts at the deepest folder that holds them all (`base`), and a selector writes only the
 *   picked entries (and, below a picked folder, everything), creating the folders on the way.
 *   Entries then land in the target under their path relative to `base`, so picking `/docs/a.txt`
 *   and `/docs/sub` gives `a.txt` and `sub/…`, and picking across folders keeps those folders.
 * - `restoreMeter`: the restorer's typed events reduced to what the progress bar shows: bytes done
 *   and to do, files done and to do, rate and ETA.
 */
import { createMeter } from '../progress.js'
import { InvalidInputError, UnsafeNameError } from '../../core/errors.js'
import { showName, unsafeNameReason } from '../../core/names.js'
import type { TransferProgress } from '../progress.js'
import type { Node } from '../../restic/repofile/tree.js'
import type { RestoreProgressEvents } from '../../restic/restorer/restorer.js'
import type { RestoreSelector } from '../../restic/restorer/select.js'

export interface RestorePlan {
  /** Segments of the folder the restore starts at ([] for the snapshot root). */
  base: string[]
  /** The picked entries, without duplicates or entries inside another picked folder, sorted. */
  paths: string[][]
  /** What the restorer writes (matched against `/a/b`-style locations in the snapshot). */
  select: RestoreSelector
}

const key = (segments: readonly string[]): string => '/' + segments.join('/')

/**
 * One restore for `picked` (each an entry's path segments from the snapshot root).
 * @throws InvalidInputError when nothing is picked; UnsafeNameError for a segment that could not be one path segment
 */
export function planRestore (picked: ReadonlyArray<readonly string[]>): RestorePlan {
  if (picked.length === 0) throw new InvalidInputError('Nothing is selected: tick the files and folders to restore first.')
  for (const p of picked) {
    if (p.length === 0) throw new InvalidInputError('The snapshot root is not an entry: use the snapshot\'s own restore buttons for all of it.')
    p.forEach((name, i) => {
      const reason = unsafeNameReason(name)
      if (reason !== undefined) throw new UnsafeNameError('/' + p.slice(0, i).map(showName).join('/'), showName(name), reason)
    })
  }
  // Shortest first, so a picked folder swallows what was picked inside it.
  const sorted = [...picked].map(p => [...p]).sort((a, b) => a.length - b.length || key(a).localeCompare(key(b)))
  const kept: string[][] = []
  for (const p of sorted) {
    if (kept.some(k => k.length <= p.length && k.every((s, i) => p[i] === s))) continue
    kept.push(p)
  }
  kept.sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)
  let base = (kept[0] as string[]).slice(0, -1)
  for (const p of kept) {
    let i = 0
    while (i < base.length && i < p.length - 1 && base[i] === p[i]) i++
    base = base.slice(0, i)
  }
  const wanted = kept.map(key)
  const select: RestoreSelector = (location: string, node: Node) => {
    const selected = wanted.some(w => location === w || location.startsWith(w + '/'))
    const above = wanted.some(w => w.startsWith(location + '/'))
    return { selected, descend: node.type === 'dir' && (selected || above) }
  }
  return { base, paths: kept, select }
}

export interface RestoreTotals {
  bytes: number | undefined
  files: number | undefined
}

export interface RestoreMeter {
  /** The progress after one restorer event, or undefined when the event changes nothing shown. */
  update: (event: RestoreProgressEvents) => TransferProgress | undefined
  readonly bytes: number
  readonly files: number
}

/** Reduces restorer events to bytes and files done (of `totals`), rate and ETA. */
export function restoreMeter (totals: RestoreTotals, label = 'Restoring', now?: () => number): RestoreMeter {
  const meter = createMeter(label, now)
  let bytes = 0
  let files = 0
  const show = (): TransferProgress => ({ ...meter.update(bytes, totals.bytes), files: { done: files, total: totals.files } })
  return {
    update (event) {
      switch (event.type) {
        case 'restic:restore:bytes': bytes += event.detail.bytes; return show()
        case 'restic:restore:file': files++; return show()
        // An entry left as it was still counts as done, so the bar reaches its end.
        case 'restic:restore:skipped': files++; bytes += event.detail.size; return show()
        default: return undefined
      }
    },
    get bytes () { return bytes },
    get files () { return files }
  }
}
