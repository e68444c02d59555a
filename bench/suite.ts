/** A benchmark suite: `bench/<name>/suite.ts` default-exports one. */
export interface BenchSuite {
  name: string
  /** Returns JSON-serialisable results. Ratios are against a reference measured in the same run. */
  run: (ctx: BenchContext) => Promise<Record<string, unknown>>
}

export interface BenchContext {
  /** Repository root. */
  root: string
  /** Quick mode (`--quick`): smaller inputs, for checking that the suite works. */
  quick: boolean
  log: (line: string) => void
}

export function median (values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Median with the lowest and highest value and every sample, rounded to `digits`. */
export function spread (values: number[], digits = 3): { median: number, min: number, max: number, runs: number[] } {
  const r = (v: number): number => +v.toFixed(digits)
  return { median: r(median(values)), min: r(Math.min(...values)), max: r(Math.max(...values)), runs: values.map(r) }
}

/** A size or count from the environment (`CAIRN_BENCH_…`), else `fallback`; rejects garbage. */
export function envNumber (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw} is not a number ≥ 0: give a plain number, e.g. ${name}=${fallback}.`)
  return n
}
