/**
 * Peer actions: describe connections, dial (with the WebRTC retry) and hang up.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import type { AbortOptions } from '../core/options.js'
import type { CairnNode } from './node.js'

export type TransportName = 'webrtc' | 'circuit-relay' | 'websockets' | 'other'

export interface ConnectionInfo {
  id: string
  peerId: string
  remoteAddr: string
  transport: TransportName
  direction: 'inbound' | 'outbound'
  /** A relayed connection with data or time limits. */
  limited: boolean
  openedAt: number
}

export function transportOf (addr: string): TransportName {
  if (addr.includes('/webrtc')) return 'webrtc'
  if (addr.includes('/p2p-circuit')) return 'circuit-relay'
  if (/\/(ws|wss|tls\/ws)(\/|$)/.test(addr)) return 'websockets'
  return 'other'
}

export function describeConnection (c: Connection): ConnectionInfo {
  const remoteAddr = c.remoteAddr.toString()
  return {
    id: c.id,
    peerId: c.remotePeer.toString(),
    remoteAddr,
    transport: transportOf(remoteAddr),
    direction: c.direction,
    limited: c.limits != null,
    openedAt: c.timeline.open
  }
}

export function listConnections (node: CairnNode): ConnectionInfo[] {
  return node.libp2p.getConnections().map(describeConnection)
}

export interface DialOptions extends AbortOptions {
  /** Attempts for WebRTC addresses. Browser↔browser WebRTC dials fail now and then on the first try. */
  attempts?: number
}

/**
 * Dial a multiaddr. A WebRTC dial is retried: about one in ten first attempts never sees the init
 * data channel open and times out, and an immediate retry succeeds.
 */
export async function dial (node: CairnNode, addr: string, options: DialOptions = {}): Promise<ConnectionInfo> {
  const ma = multiaddr(addr)
  const attempts = transportOf(addr) === 'webrtc' ? Math.max(1, options.attempts ?? 3) : 1
  let lastError: unknown
  for (let i = 0; i < attempts; i++) {
    options.signal?.throwIfAborted()
    try {
      const conn = await node.libp2p.dial(ma, { signal: options.signal ?? AbortSignal.timeout(15_000) })
      if (transportOf(conn.remoteAddr.toString()) === 'webrtc') await closeRelayedTo(node, conn.remotePeer.toString())
      return describeConnection(conn)
    } catch (err) {
      lastError = err
      if (options.signal?.aborted === true) throw err
    }
  }
  throw lastError
}

/**
 * Once a direct WebRTC connection exists, relayed connections to the same peer only use up the
 * relay's capacity (and its data limits), so close them; traffic then flows peer to peer.
 */
async function closeRelayedTo (node: CairnNode, peerId: string): Promise<void> {
  const relayed = node.libp2p.getConnections().filter(c => c.remotePeer.toString() === peerId && transportOf(c.remoteAddr.toString()) === 'circuit-relay')
  await Promise.all(relayed.map(async c => { await c.close().catch(() => { c.abort(new Error('closing relayed connection')) }) }))
}

export async function hangUp (node: CairnNode, peerId: string, options: AbortOptions = {}): Promise<void> {
  await node.libp2p.hangUp(peerIdFromString(peerId), options)
}
