import { useRef, useState } from 'preact/hooks'
import { isAbortError } from '../app/app.js'
import type { TransferProgress } from '../app/app.js'

export interface Task {
  progress: TransferProgress | undefined
  error: string | undefined
  busy: boolean
  /** Run a cancellable task; the callback gets the signal and a progress sink. */
  run: <T>(fn: (opts: { signal: AbortSignal, onProgress: (p: TransferProgress) => void }) => Promise<T>) => Promise<T | undefined>
  cancel: () => void
  clearError: () => void
}

/** A long-running, cancellable action with a progress bar (one at a time). */
export function useTask (cancelMessage = 'Cancelled. Nothing was pinned; unpinned blocks are removed by the next garbage collection.'): Task {
  const [progress, setProgress] = useState<TransferProgress | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const controller = useRef<AbortController | undefined>(undefined)
  return {
    progress,
    error,
    busy,
    async run (fn) {
      controller.current?.abort()
      const c = new AbortController()
      controller.current = c
      setBusy(true)
      setError(undefined)
      setProgress({ label: 'Starting…', done: 0, total: undefined, rate: 0, eta: undefined })
      try {
        return await fn({ signal: c.signal, onProgress: setProgress })
      } catch (err) {
        setError(isAbortError(err) || c.signal.aborted ? cancelMessage : (err as Error).message)
        return undefined
      } finally {
        if (controller.current === c) controller.current = undefined
        setBusy(false)
        setProgress(undefined)
      }
    },
    cancel () { controller.current?.abort(new DOMException('Cancelled by the user.', 'AbortError')) },
    clearError () { setError(undefined) }
  }
}
