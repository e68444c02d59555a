import { useEffect, useState } from 'preact/hooks'
import type { Store } from '../app/store.js'

/** Subscribe a component to a store. */
export function useStore<T> (store: Store<T>): T {
  const [value, setValue] = useState(store.get())
  useEffect(() => {
    setValue(store.get())
    return store.subscribe(setValue)
  }, [store])
  return value
}

/** Run an async action, exposing busy state and an error message for the view. */
export function useAction<A extends unknown[]> (fn: (...args: A) => Promise<unknown>): { run: (...args: A) => Promise<void>, busy: boolean, error: string | undefined, clear: () => void } {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  return {
    busy,
    error,
    clear: () => { setError(undefined) },
    run: async (...args: A) => {
      setBusy(true)
      setError(undefined)
      try {
        await fn(...args)
      } catch (err) {
        setError((err as Error).message)
      } finally {
        setBusy(false)
      }
    }
  }
}
