/**
 * A readers-writer lock per node (mortice, Helia's own lock, with abort): adds and CAR imports
 * share it, garbage collection takes it alone.
 *
 * An add writes blocks first and pins its root only at the end, so between the two its blocks are
 * unpinned. Holding the shared side for the whole add-then-pin keeps a GC from deleting them.
 * Waiting is first come, first served, so a waiting GC is not starved by a stream of adds. This
 * guards one JavaScript realm (one tab or one CLI process); across tabs the app wraps calls in
 * `navigator.locks`.
 */
import mortice from 'mortice'
import type { Mortice } from 'mortice'

const locks = new WeakMap<object, Mortice>()
let nextId = 0

function lockFor (node: object): Mortice {
  let lock = locks.get(node)
  if (lock === undefined) {
    // mortice keeps locks by name; one name per node, never shared with workers or other nodes.
    lock = mortice({ name: `cairn-pins-${nextId++}`, singleProcess: true })
    locks.set(node, lock)
  }
  return lock
}

/** Run `fn` while no garbage collection can run on `node` (many may hold this at once). */
export async function withSharedLock<T> (node: object, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const release = await lockFor(node).readLock(signal !== undefined ? { signal } : {})
  try {
    return await fn()
  } finally {
    release()
  }
}

/** Run `fn` alone: no add, import or other collection runs on `node` meanwhile. */
export async function withExclusiveLock<T> (node: object, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const release = await lockFor(node).writeLock(signal !== undefined ? { signal } : {})
  try {
    return await fn()
  } finally {
    release()
  }
}
