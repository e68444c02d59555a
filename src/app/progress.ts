/**
 * Turn progress facts (bytes done so far) into what a progress bar shows: fraction, rate and ETA.
 */
export interface TransferProgress {
  label: string
  /** What `done`, `total` and `rate` count. @default 'bytes' */
  unit?: 'bytes' | 'blocks' | 'snapshots' | 'folders' | undefined
  done: number
  total: number | undefined
  /** Units (bytes, blocks) per second, smoothed. */
  rate: number
  /** Seconds left, when the total is known and the rate is not zero. */
  eta: number | undefined
  /** Files done and to do, for operations over many files (backups). */
  files?: { done: number, total: number | undefined } | undefined
}

export interface ProgressMeter {
  update: (done: number, total?: number) => TransferProgress
}

export function createMeter (label: string, now: () => number = () => performance.now(), unit: TransferProgress['unit'] = 'bytes'): ProgressMeter {
  const start = now()
  let lastT = start
  let lastDone = 0
  let rate = 0
  return {
    update (done, total) {
      const t = now()
      const dt = (t - lastT) / 1000
      if (dt > 0.2) {
        const inst = (done - lastDone) / dt
        rate = rate === 0 ? inst : rate * 0.7 + inst * 0.3
        lastT = t
        lastDone = done
      } else if (rate === 0 && t > start) {
        rate = done / ((t - start) / 1000)
      }
      const eta = total !== undefined && rate > 0 ? Math.max(0, (total - done) / rate) : undefined
      return { label, unit, done, total, rate, eta }
    }
  }
}
