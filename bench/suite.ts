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
