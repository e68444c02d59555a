import { useRef, useState } from 'preact/hooks'
import { isAbortError, isSaveDismissed } from '../app/app.js'
import type { TransferProgress } from '../app/app.js'

export interface Task {
  progress: TransferProgress | undefined
  error: string | undefined
  /** The user's own cancel: shown quietly, not as an error. */
  cancelled: string | undefined
  busy: boolean
  /** Run a cancellable task; the callback gets the signal and a progress sink. */
  run: <T>(fn: (opts: { signal: AbortSignal, onProgress: (p: TransferProgress) => void }) => Promise<T>, cancelMessage?: string) => Promise<T | undefined>
  cancel: () => void
  clearError: () => void
}

/** A long-running, cancellable action with a progress bar (one at a time). */
export function useTask (defaultCancelMessage = 'Cancelled.'): Task {
  const [progress, setProgress] = useState<TransferProgress | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [cancelled, setCancelled] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const controller = useRef<AbortController | undefined>(undefined)
  return {
    progress,
    error,
    cancelled,
    busy,
    async run (fn, cancelMessage = defaultCancelMessage) {
      controller.current?.abort()
      const c = new AbortController()
      controller.current = c
      setBusy(true)
      setError(undefined)
      setCancelled(undefined)
      setProgress({ label: 'Starting…', done: 0, total: undefined, rate: 0, eta: undefined })
      try {
        return await fn({ signal: c.signal, onProgress: setProgress })
      } catch (err) {
        // A closed save dialog is a quiet cancel; the user's Cancel a muted note; anything else an error.
        if (isSaveDismissed(err)) return undefined
        if (c.signal.aborted || (isAbortError(err) && (err as { name?: unknown }).name !== 'TimeoutError')) setCancelled(cancelMessage)
        else setError((err as Error).message)
        return undefined
      } finally {
        if (controller.current === c) controller.current = undefined
        setBusy(false)
        setProgress(undefined)
      }
    },
    cancel () { controller.current?.abort(new DOMException('Cancelled by the user.', 'AbortError')) },
    clearError () { setError(undefined); setCancelled(undefined) }
  }
}
