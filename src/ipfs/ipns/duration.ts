import { InvalidInputError } from '../../core/errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses a duration such as `48h`, `5m`, `1h30m`, `90s`, `250ms` or `2d` into milliseconds. */
export function parseDuration (text: string): number {
  const s = text.trim()
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let matched = 0
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * (UNITS[m[2] ?? ''] ?? Number.NaN)
    matched += m[0].length
  }
  if (s === '' || matched !== s.length || !Number.isFinite(total)) {
    throw new InvalidInputError(`"${text}" is not a duration. Write it like 48h, 5m, 1h30m, 90s or 2d.`)
  }
  return total
}
