/**
 * Messages between the page and the service worker. `src/platform/sw-register.ts` keeps its own
 * copy of these strings (platform/ may import only core/); change both together.
 */
export const MSG_SKIP_WAITING = 'cairn:skip-waiting'
export const MSG_SET_GATEWAYS = 'cairn:set-gateways'
export const MSG_ACK = 'cairn:ack'

export type PageToWorker =
  | { type: typeof MSG_SKIP_WAITING }
  | { type: typeof MSG_SET_GATEWAYS, gateways: string[] }

export function isPageMessage (data: unknown): data is PageToWorker {
  if (typeof data !== 'object' || data === null) return false
  const m = data as { type?: unknown, gateways?: unknown }
  if (m.type === MSG_SKIP_WAITING) return true
  return m.type === MSG_SET_GATEWAYS && Array.isArray(m.gateways) && m.gateways.every(g => typeof g === 'string')
}
