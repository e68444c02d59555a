/**
 * restic 0.14's snapshot table (`PrintSnapshots` in cmd_snapshots.go, `internal/ui/table`): the
 * columns ID, Time (local), Host, Tags, Reasons (when given), Paths; multi-line cells; a blank line
 * between rows when a snapshot has several paths; `--compact` shows ID, Time, Host and Tags only.
 */
import type { KeepReason, Snapshot } from '../../../restic/index.js'
import { parseTime } from '../../../restic/util/go-json.js'

/** Go's `Time.Local().Format("2006-01-02 15:04:05")`. */
export function localTime (time: string): string {
  const d = new Date(Number(parseTime(time) / 1_000_000n))
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${String(d.getFullYear()).padStart(4, '0')}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

const width = (s: string): number => Buffer.byteLength(s) // Go's len() counts bytes

/** `list` (any order) as restic prints it, oldest first; `reasons` (same order as `list`) adds the Reasons column. */
export function snapshotTable (list: Snapshot[], reasons: KeepReason[] | undefined, compact: boolean): string {
  const why = new Map<string, string[]>()
  list.forEach((s, i) => { const r = reasons?.[i]; if (r !== undefined) why.set(s.id, r.matches) })
  const rows = [...list].sort((a, b) => { const d = parseTime(a.time) - parseTime(b.time); return d < 0n ? -1 : d > 0n ? 1 : 0 })
  const withReasons = reasons !== undefined && reasons.length > 0
  const columns: Array<[string, (s: Snapshot) => string]> = compact
    ? [['ID', s => s.id.slice(0, 8)], ['Time', s => localTime(s.time)], ['Host', s => s.hostname ?? ''], ['Tags  ', s => (s.tags ?? []).join('\n')]]
    : [
        ['ID', s => s.id.slice(0, 8)], ['Time', s => localTime(s.time)], ['Host      ', s => s.hostname ?? ''], ['Tags      ', s => (s.tags ?? []).join(',')],
        ...(withReasons ? [['Reasons', (s: Snapshot) => (why.get(s.id) ?? []).join('\n')] as [string, (s: Snapshot) => string]] : []),
        ['Paths', s => s.paths.join('\n')]
      ]
  const cells = rows.map(s => columns.map(([, f]) => f(s)))
  const widths = columns.map(([h], i) => Math.max(width(h), ...cells.flatMap(r => (r[i] as string).split('\n').map(width))))
  const total = widths.reduce((a, b) => a + b, 0) + (columns.length - 1) * 2
  const lines = (row: string[]): string[] => {
    const parts = row.map(c => c.split('\n'))
    const n = Math.max(1, ...parts.map(p => p.length))
    return Array.from({ length: n }, (_, i) => parts.map((p, f) => (f > 0 ? '  ' : '') + (p[i] ?? '') + ' '.repeat(Math.max(0, (widths[f] as number) - width(p[i] ?? '')))).join('').trimEnd())
  }
  const multiline = !compact && rows.some(s => s.paths.length > 1)
  let out = lines(columns.map(([h]) => h)).join('\n') + '\n' + '-'.repeat(total) + '\n'
  cells.forEach((row, i) => { out += (multiline && i > 0 ? '\n' : '') + lines(row).join('\n') + '\n' })
  return out + '-'.repeat(total) + '\n' + `${list.length} snapshots\n`
}
