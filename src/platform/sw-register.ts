/**
 * Registers the service worker (`./sw.js`, scope `./`, so it works from any folder or gateway
 * path) and reports updates: when a new version has been deployed and installed, an
 * `update-available` event fires; the UI shows a prompt and calls `applyUpdate()`, which lets the
 * new worker take over and reloads the page.
 *
 * The message strings match src/sw/protocol.ts (platform/ may import only core/).
 */
import { CairnError } from '../core/errors.js'

const MSG_SKIP_WAITING = 'cairn:skip-waiting'
const MSG_SET_GATEWAYS = 'cairn:set-gateways'

/** The browser has no service workers (or they are blocked, e.g. a private window or http:). */
export class ServiceWorkerUnavailableError extends CairnError {
  static override readonly code = 'ERR_SERVICE_WORKER_UNAVAILABLE'
}

export interface ServiceWorkerEvents {
  /** A new version is installed and waiting; call `applyUpdate()` to switch to it. */
  'update-available': CustomEvent<{ waiting: ServiceWorker }>
  /** The worker controlling this page changed (after an update, or on first install). */
  'controller-change': CustomEvent<{ controller: ServiceWorker | null }>
}

export interface ServiceWorkerHandle extends EventTarget {
  registration: ServiceWorkerRegistration
  /** True when a new version waits to take over. */
  readonly updateAvailable: boolean
  /** Resolves once a worker controls this page (offline reloads work from then on). */
  ready: () => Promise<ServiceWorker>
  /** Ask the server for a newer version now (the browser also checks on navigation). */
  checkForUpdate: () => Promise<void>
  /** Switch to the waiting version and reload the page. No-op when none waits. */
  applyUpdate: (options?: { reload?: boolean }) => Promise<void>
  /** Tell the worker which trustless gateways to use for `/ipfs/` content it does not hold. */
  setGateways: (gateways: string[]) => Promise<void>
  addEventListener: (<K extends keyof ServiceWorkerEvents>(type: K, listener: (event: ServiceWorkerEvents[K]) => void, options?: AddEventListenerOptions) => void) &
    ((type: string, listener: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean) => void)
}

export interface RegisterOptions {
  /** The worker script, relative to the page. @default new URL('./sw.js', document.baseURI) */
  scriptUrl?: URL | string
  /** @default navigator.serviceWorker */
  container?: ServiceWorkerContainer
}

async function post (worker: ServiceWorker, message: unknown, timeoutMs = 10_000): Promise<void> {
  const channel = new MessageChannel()
  const answered = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new ServiceWorkerUnavailableError(`The service worker did not answer within ${timeoutMs} ms. Reload the page.`)) }, timeoutMs)
    channel.port1.onmessage = () => { clearTimeout(timer); resolve() }
  })
  worker.postMessage(message, [channel.port2])
  await answered
  channel.port1.close()
}

/**
 * Registers `./sw.js`. Throws `ServiceWorkerUnavailableError` when the browser cannot; the app
 * then simply runs without offline support.
 */
export async function registerServiceWorker (options: RegisterOptions = {}): Promise<ServiceWorkerHandle> {
  const container = options.container ?? (typeof navigator !== 'undefined' ? navigator.serviceWorker : undefined)
  if (container === undefined) {
    throw new ServiceWorkerUnavailableError('This browser offers no service workers here (private window, or not https/localhost), so Cairn will not work offline.')
  }
  const scriptUrl = new URL(options.scriptUrl ?? './sw.js', document.baseURI)
  const scope = new URL('./', scriptUrl)
  let registration: ServiceWorkerRegistration
  try {
    registration = await container.register(scriptUrl, { scope: scope.pathname, updateViaCache: 'none' })
  } catch (err) {
    throw new ServiceWorkerUnavailableError(`The service worker could not be registered (${(err as Error).message}), so Cairn will not work offline. Check that sw.js is served next to index.html.`, { cause: err })
  }

  const target = new EventTarget() as ServiceWorkerHandle
  let reloadOnChange = false
  // A waiting worker is an update only when another one already controls the page; on a first
  // visit the new worker activates by itself.
  const announce = (): void => {
    const waiting = registration.waiting
    if (waiting !== null && container.controller !== null) {
      target.dispatchEvent(new CustomEvent('update-available', { detail: { waiting } }))
    }
  }
  registration.addEventListener('updatefound', () => {
    const installing = registration.installing
    installing?.addEventListener('statechange', () => {
      if (installing.state === 'installed') announce()
    })
  })
  container.addEventListener('controllerchange', () => {
    target.dispatchEvent(new CustomEvent('controller-change', { detail: { controller: container.controller } }))
    if (reloadOnChange) location.reload()
  })

  Object.defineProperties(target, {
    registration: { value: registration },
    updateAvailable: { get: () => registration.waiting !== null && container.controller !== null }
  })
  target.ready = async () => {
    await container.ready
    if (container.controller !== null) return container.controller
    return await new Promise<ServiceWorker>(resolve => {
      container.addEventListener('controllerchange', () => { if (container.controller !== null) resolve(container.controller) }, { once: true })
    })
  }
  target.checkForUpdate = async () => { await registration.update() }
  target.applyUpdate = async (opts = {}) => {
    const waiting = registration.waiting
    if (waiting === null) return
    reloadOnChange = opts.reload ?? true
    await post(waiting, { type: MSG_SKIP_WAITING })
  }
  target.setGateways = async (gateways) => {
    const worker = registration.active ?? (await container.ready).active
    if (worker === null) throw new ServiceWorkerUnavailableError('No service worker is active yet. Reload the page.')
    await post(worker, { type: MSG_SET_GATEWAYS, gateways: [...gateways] })
  }
  // An update may have been installed while no page listened (e.g. in another tab).
  setTimeout(announce, 0)
  return target
}
