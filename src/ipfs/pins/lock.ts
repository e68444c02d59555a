/**
 * A readers-writer lock per node: adds and CAR imports share it, garbage collection takes it alone.
 *
 * An add writes blocks first and pins its root only at the end, so between the two its blocks are
 * unpinned. Holding the shared side for the whole add-then-pin keeps a GC from deleting them.
 * This guards one JavaScript realm (one tab or one CLI process); across tabs the app should wrap
 * calls in `navigator.locks`.
 */
type Release = () => void

class ReadWriteLock {
  #readers = 0
  #writer = false
  #queue: Array<{ exclusive: boolean, grant: () => void }> = []

  async acquire (exclusive: boolean, signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted()
    if (this.#canGrant(exclusive) && this.#queue.length === 0) return this.#grant(exclusive)
    return new Promise<Release>((resolve, reject) => {
      const waiter = {
        exclusive,
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve(this.#grant(exclusive))
        }
      }
      const onAbort = (): void => {
        this.#queue = this.#queue.filter(w => w !== waiter)
        reject(signal?.reason)
        this.#drain()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#queue.push(waiter)
    })
  }

  #canGrant (exclusive: boolean): boolean {
    return exclusive ? !this.#writer && this.#readers === 0 : !this.#writer
  }

  #grant (exclusive: boolean): Release {
    if (exclusive) this.#writer = true
    else this.#readers++
    let released = false
    return () => {
      if (released) return
      released = true
      if (exclusive) this.#writer = false
      else this.#readers--
      this.#drain()
    }
  }

  #drain (): void {
    // First come, first served: a waiting GC is not starved by a stream of adds.
    while (this.#queue.length > 0) {
      const next = this.#queue[0]
      if (next === undefined || !this.#canGrant(next.exclusive)) return
      this.#queue.shift()
      next.grant()
    }
  }
}

const locks = new WeakMap<object, ReadWriteLock>()

function lockFor (node: object): ReadWriteLock {
  let lock = locks.get(node)
  if (lock === undefined) {
    lock = new ReadWriteLock()
    locks.set(node, lock)
  }
  return lock
}

/** Run `fn` while no garbage collection can run on `node` (many may hold this at once). */
export async function withSharedLock<T> (node: object, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const release = await lockFor(node).acquire(false, signal)
  try {
    return await fn()
  } finally {
    release()
  }
}

/** Run `fn` alone: no add, import or other collection runs on `node` meanwhile. */
export async function withExclusiveLock<T> (node: object, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const release = await lockFor(node).acquire(true, signal)
  try {
    return await fn()
  } finally {
    release()
  }
}
