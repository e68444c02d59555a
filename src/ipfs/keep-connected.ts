/**
 * Keeps the node connected to the peers in Settings (bootstrap peers and relays) through sleep,
 * network changes and restarts of those peers: any configured peer that is not connected is
 * dialled again, with exponential backoff (and jitter) between failed attempts, for as long as
 * the node runs. libp2p's own reconnect queue gives up after a few tries; a tab that wakes from
 * sleep an hour later must not stay at 0 peers until someone presses Dial.
 *
 * `kick()` forgets the backoff and tries at once: call it when the browser says it is online
 * again, or when the page becomes visible.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface KeepConnectedInit {
  /** Multiaddrs that end in `/p2p/<peer id>`; addresses without a peer id are skipped. */
  addrs: string[]
  /** First delay after a failed dial. @default 1000 */
  minDelayMs?: number
  /** Longest delay between attempts. @default 15000 */
  maxDelayMs?: number
  /** One dial's time limit. @default 10000 */
  dialTimeoutMs?: number
}

export interface PeerTarget {
  peerId: string
  addrs: string[]
  connected: boolean
  /** Failed attempts since the last connection. */
  failures: number
  /** When the next attempt is due (ms since epoch); 0 when connected. */
  nextAttemptAt: number
  lastError?: string | undefined
}

export interface KeepConnected {
  /** Try every disconnected peer now, forgetting the backoff. */
  kick: () => void
  stop: () => void
  targets: () => PeerTarget[]
}

interface Target {
  peer: PeerId
  addrs: Multiaddr[]
  failures: number
  nextAttemptAt: number
  dialling: boolean
  lastError?: string | undefined
}

/** The delay before attempt `failures + 1`: doubling from `min` up to `max`, ±25% jitter. */
export function backoffDelay (failures: number, minMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1))
  return Math.round(base * (0.75 + random() * 0.5))
}

function groupByPeer (addrs: string[]): Target[] {
  const byPeer = new Map<string, Target>()
  for (const text of addrs) {
    let ma: Multiaddr
    try {
      ma = multiaddr(text)
    } catch {
      continue
    }
    // Only direct peers: an address through a relay (`/p2p-circuit`) is reached by its relay.
    if (text.includes('/p2p-circuit')) continue
    const id = ma.getComponents().filter(c => c.name === 'p2p').pop()?.value
    if (id === undefined) continue
    const t = byPeer.get(id)
    if (t !== undefined) {
      t.addrs.push(ma)
      continue
    }
    try {
      byPeer.set(id, { peer: peerIdFromString(id), addrs: [ma], failures: 0, nextAttemptAt: 0, dialling: false })
    } catch {
      // not a peer id: nothing to keep track of
    }
  }
  return [...byPeer.values()]
}

export function keepConnected (libp2p: Pick<Libp2p, 'dial' | 'getConnections' | 'addEventListener' | 'removeEventListener'>, init: KeepConnectedInit): KeepConnected {
  const minDelay = init.minDelayMs ?? 1000
  const maxDelay = init.maxDelayMs ?? 15_000
  const dialTimeout = init.dialTimeoutMs ?? 10_000
  const targets = groupByPeer(init.addrs)
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const controller = new AbortController()

  const connected = (t: Target): boolean => libp2p.getConnections(t.peer).some(c => c.status === 'open')

  const schedule = (inMs: number): void => {
    if (stopped) return
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(tick, Math.max(0, inMs))
  }

  const attempt = async (t: Target): Promise<void> => {
    t.dialling = true
    try {
      await libp2p.dial(t.addrs, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(dialTimeout)]) })
      t.failures = 0
      t.nextAttemptAt = 0
      t.lastError = undefined
    } catch (err) {
      if (stopped) return
      t.failures++
      t.lastError = (err as Error).message
      t.nextAttemptAt = Date.now() + backoffDelay(t.failures, minDelay, maxDelay)
    } finally {
      t.dialling = false
      schedule(0)
    }
  }

  function tick (): void {
    timer = undefined
    if (stopped) return
    const now = Date.now()
    let next = maxDelay
    for (const t of targets) {
      if (connected(t)) {
        t.failures = 0
        t.nextAttemptAt = 0
        continue
      }
      if (t.dialling) continue
      if (t.nextAttemptAt <= now) void attempt(t)
      else next = Math.min(next, t.nextAttemptAt - now)
    }
    // Also look again now and then: a connection can die without an event reaching us.
    schedule(next)
  }

  const onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const t = targets.find(x => x.peer.equals(evt.detail))
    if (t === undefined) return
    t.nextAttemptAt = Math.min(t.nextAttemptAt === 0 ? Infinity : t.nextAttemptAt, Date.now() + minDelay)
    schedule(minDelay)
  }
  libp2p.addEventListener('peer:disconnect', onDisconnect)
  if (targets.length > 0) schedule(0)

  return {
    kick () {
      for (const t of targets) { t.failures = 0; t.nextAttemptAt = 0 }
      schedule(0)
    },
    stop () {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      controller.abort()
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
    },
    targets () {
      return targets.map(t => ({
        peerId: t.peer.toString(),
        addrs: t.addrs.map(String),
        connected: connected(t),
        failures: t.failures,
        nextAttemptAt: t.nextAttemptAt,
        lastError: t.lastError
      }))
    }
  }
}
