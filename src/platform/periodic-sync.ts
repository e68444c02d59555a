/**
 * Periodic Background Sync for the keep-alive: asks the browser to wake the service worker now and
 * then (tag `cairn-ipns-keepalive`, at most about every `minIntervalMs`) so it can re-send the
 * stored records while no tab is open. Browsers offer it only to installed apps, and only when
 * the `periodic-background-sync` permission is granted; this says which of those is missing.
 */

/** The tag the service worker listens for (src/sw/keepalive.ts). */
export const PERIODIC_SYNC_TAG = 'cairn-ipns-keepalive'
export const DEFAULT_MIN_INTERVAL_MS = 12 * 60 * 60 * 1000

export type BackgroundReason = 'no-service-worker' | 'unsupported' | 'not-installed' | 'permission' | 'failed'

export type BackgroundState =
  | { active: true, minIntervalMs: number, permission: PermissionState }
  | { active: false, reason: BackgroundReason, message: string, permission?: PermissionState | undefined }

interface PeriodicSyncManager {
  register: (tag: string, options?: { minInterval?: number }) => Promise<void>
  getTags: () => Promise<string[]>
}

/** The service worker registration controlling this page's scope, once ready (undefined after `timeoutMs`, or without service workers). */
export async function readyRegistration (timeoutMs = 15_000): Promise<ServiceWorkerRegistration | undefined> {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, timeoutMs) })
  try {
    return await Promise.race([navigator.serviceWorker.ready, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Whether the page runs as an installed app (its own window), as far as the page can tell. */
export function runsInstalled (): boolean {
  if (typeof matchMedia !== 'function') return false
  return ['standalone', 'minimal-ui', 'fullscreen', 'window-controls-overlay'].some(m => matchMedia(`(display-mode: ${m})`).matches)
}

async function permissionState (): Promise<PermissionState | undefined> {
  try {
    return (await navigator.permissions.query({ name: 'periodic-background-sync' as PermissionName })).state
  } catch {
    return undefined
  }
}

/**
 * Registers the periodic sync on `registration` when the browser allows it, and says why not
 * otherwise. Never throws.
 */
export async function enablePeriodicSync (registration: ServiceWorkerRegistration | undefined, minIntervalMs = DEFAULT_MIN_INTERVAL_MS): Promise<BackgroundState> {
  if (registration === undefined) {
    return { active: false, reason: 'no-service-worker', message: 'The service worker is not running here (a private window, or the page is not served over https or from localhost), so nothing can run while Cairn is closed.' }
  }
  if (!('periodicSync' in registration)) {
    return { active: false, reason: 'unsupported', message: 'This browser does not offer periodic background sync, so names are kept alive only while Cairn is open, or by a keeper.' }
  }
  const permission = await permissionState()
  if (permission !== 'granted') {
    if (!runsInstalled()) {
      return { active: false, reason: 'not-installed', permission, message: 'Cairn is not installed as an app. Browsers wake only installed apps in the background: install Cairn (the install button in the address bar or the browser menu) and open it from there.' }
    }
    return { active: false, reason: 'permission', permission, message: `The browser has not granted Cairn background sync (permission: ${permission ?? 'unknown'}). Browsers grant it to apps you use often; until then names are kept alive while Cairn is open, or by a keeper.` }
  }
  try {
    await (registration as unknown as { periodicSync: PeriodicSyncManager }).periodicSync.register(PERIODIC_SYNC_TAG, { minInterval: minIntervalMs })
    return { active: true, minIntervalMs, permission }
  } catch (err) {
    return { active: false, reason: 'failed', permission, message: `The browser refused to schedule background sync: ${(err as Error).message}` }
  }
}
