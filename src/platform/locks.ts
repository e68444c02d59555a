/**
 * Web Locks: one holder at a time across every tab of this origin (a backup and a prune of the same
 * repository, two publishes of the same IPNS name). Falls back to running unlocked where the
 * browser has no `navigator.locks` (then only one tab should be used).
 */
export async function withWebLock<T> (name: string, signal: AbortSignal | undefined, fn: () => Promise<T>, mode: LockMode = 'exclusive'): Promise<T> {
  const locks = globalThis.navigator?.locks
  if (locks === undefined) return fn()
  return locks.request(`cairn:${name}`, { mode, ...(signal !== undefined ? { signal } : {}) }, async () => fn()) as Promise<T>
}
