/** A minimal observable value: the app's state containers are built from it. */
export interface Store<T> {
  get: () => T
  set: (next: T) => void
  update: (fn: (prev: T) => T) => void
  subscribe: (listener: (value: T) => void) => () => void
}

export function createStore<T> (initial: T): Store<T> {
  let value = initial
  const listeners = new Set<(value: T) => void>()
  const set = (next: T): void => {
    value = next
    for (const l of listeners) l(value)
  }
  return {
    get: () => value,
    set,
    update: (fn) => { set(fn(value)) },
    subscribe (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
