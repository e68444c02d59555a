/**
 * Helpers shared by `diff`, `stats`, `find`, `dump` and `tag`: restic 0.14's snapshot selection
 * (explicit IDs, or every snapshot matching the filters) and its number and time formats.
 */
import { skipped } from './context.js'
import type { ResticContext } from './context.js'
import type { Snapshot } from '../../../restic/index.js'

/**
 * restic's FindFilteredSnapshots: the snapshots named in `refs` ("latest" with the filters), each
 * once, in the order given, warning about those it cannot find; or, with no refs, every snapshot
 * matching the filters (oldest first; restic's order there depends on its parallel loading).
 */
export async function selectSnapshots (ctx: ResticContext, refs: string[]): Promise<Snapshot[]> {
  const { r, repo, io, filter, signal } = ctx
  if (refs.length === 0) return await r.listSnapshots(repo, filter, { signal, onSkipped: skipped(io) })
  const out: Snapshot[] = []
  const seen = new Set<string>()
  let usedFilter = false
  for (const ref of refs) {
    if (ref === 'latest') usedFilter = true
    let s: Snapshot
    try {
      s = await r.findSnapshot(repo, ref, ref === 'latest' ? filter : {}, { signal, onSkipped: skipped(io) })
    } catch (err) {
      if (!(err instanceof r.SnapshotNotFoundError)) throw err
      io.err(`Ignoring "${ref}": ${err.message}\n`)
      continue
    }
    if (seen.has(s.id)) continue
    seen.add(s.id)
    out.push(s)
  }
  if (!usedFilter && (filter.hosts !== undefined || filter.tags !== undefined || filter.paths !== undefined)) io.err('Ignoring filters as there are explicit snapshot ids given\n')
  return out
}

/** restic's formatBytes: B below 1 KiB, else KiB/MiB/GiB/TiB with three decimals (Go rounds halves to even). */
export function formatBytes (c: number): string {
  const units: Array<[string, bigint]> = [['TiB', 1n << 40n], ['GiB', 1n << 30n], ['MiB', 1n << 20n], ['KiB', 1n << 10n]]
  const n = BigInt(c)
  for (const [unit, size] of units) {
    if (n > size) {
      const num = n * 1000n
      let q = num / size
      const rem = num % size
      if (rem * 2n > size || (rem * 2n === size && q % 2n === 1n)) q++
      return `${q / 1000n}.${String(q % 1000n).padStart(3, '0')} ${unit}`
    }
  }
  return `${c} B`
}

/** Go's `%-5s`. */
export const left5 = (s: string): string => s.padEnd(5)

/** restic's TimeFormat ("2006-01-02 15:04:05") in local time, from an RFC 3339 time. */
export function localTime (rfc3339: string, parseTime: (s: string) => bigint): string {
  const ns = parseTime(rfc3339)
  const secs = ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n)
  const d = new Date(Number(secs) * 1000)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}
