/**
 * Storage quota and persistence (navigator.storage). Without persistence the browser may evict the
 * blockstore under storage pressure, so the UI warns until it is granted.
 */
export interface StorageStatus {
  usage: number
  quota: number
  persisted: boolean
  /** False where the browser has no StorageManager (e.g. an insecure context). */
  supported: boolean
}

export async function storageStatus (): Promise<StorageStatus> {
  const sm = globalThis.navigator?.storage
  if (sm?.estimate === undefined) return { usage: 0, quota: 0, persisted: false, supported: false }
  const [est, persisted] = await Promise.all([sm.estimate(), sm.persisted?.() ?? Promise.resolve(false)])
  return { usage: est.usage ?? 0, quota: est.quota ?? 0, persisted, supported: true }
}

/** Ask the browser to keep our data; returns whether it is now persisted. */
export async function requestPersistence (): Promise<boolean> {
  const sm = globalThis.navigator?.storage
  if (sm?.persist === undefined) return false
  return sm.persist()
}
