/**
 * The snapshots table of the Backups page: sorting (time, host, paths, size) and filtering (host,
 * tag, path), as pure functions over the rows the service keeps. A size that is not known yet
 * (statistics still loading) sorts after every known size, whichever the direction.
 */
import type { SnapshotRow } from './types.js'

export type SnapshotSortKey = 'time' | 'host' | 'paths' | 'size'

export interface SnapshotSort {
  key: SnapshotSortKey
  /** 'desc': newest, largest, or Z first. */
  dir: 'asc' | 'desc'
}

export interface SnapshotTableFilter {
  /** Exact host name; '' for any. */
  host?: string | undefined
  /** Exact tag the snapshot must carry; '' for any. */
  tag?: string | undefined
  /** Text that one of the snapshot's paths must contain (case-insensitive); '' for any. */
  path?: string | undefined
}

export const DEFAULT_SORT: SnapshotSort = { key: 'time', dir: 'desc' }

/** The hosts and tags that occur in `rows`, sorted, for the filter choices. */
export function snapshotFacets (rows: readonly SnapshotRow[]): { hosts: string[], tags: string[] } {
  const hosts = new Set<string>()
  const tags = new Set<string>()
  for (const r of rows) {
    hosts.add(r.host)
    for (const t of r.tags) if (t !== '') tags.add(t)
  }
  const byText = (a: string, b: string): number => a.localeCompare(b)
  return { hosts: [...hosts].sort(byText), tags: [...tags].sort(byText) }
}

export function matchesFilter (r: SnapshotRow, f: SnapshotTableFilter): boolean {
  if (f.host !== undefined && f.host !== '' && r.host !== f.host) return false
  if (f.tag !== undefined && f.tag !== '' && !r.tags.includes(f.tag)) return false
  const p = f.path?.trim().toLowerCase() ?? ''
  if (p !== '' && !r.paths.some(x => x.toLowerCase().includes(p))) return false
  return true
}

function compare (a: SnapshotRow, b: SnapshotRow, key: SnapshotSortKey): number {
  switch (key) {
    case 'time': return Date.parse(a.time) - Date.parse(b.time)
    case 'host': return a.host.localeCompare(b.host)
    case 'paths': return a.paths.join('\n').localeCompare(b.paths.join('\n'))
    case 'size': return (a.totals?.bytes ?? 0) - (b.totals?.bytes ?? 0)
  }
}

/** The rows that pass `filter`, in `sort` order; ties keep the newest first. */
export function viewSnapshots (rows: readonly SnapshotRow[], filter: SnapshotTableFilter, sort: SnapshotSort = DEFAULT_SORT): SnapshotRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1
  return rows.filter(r => matchesFilter(r, filter)).sort((a, b) => {
    if (sort.key === 'size') {
      // Unknown sizes last, in either direction.
      const ka = a.totals !== undefined
      const kb = b.totals !== undefined
      if (ka !== kb) return ka ? -1 : 1
    }
    const c = compare(a, b, sort.key) * sign
    return c !== 0 ? c : Date.parse(b.time) - Date.parse(a.time)
  })
}

/** Clicking a column: the same key flips the direction; a new key starts descending for time and size, ascending for text. */
export function nextSort (current: SnapshotSort, key: SnapshotSortKey): SnapshotSort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' }
  return { key, dir: key === 'time' || key === 'size' ? 'desc' : 'asc' }
}
