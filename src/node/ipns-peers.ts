/**
 * `cairn ipns … --peer <multiaddr>`: a small libp2p node (WebSockets, noise, yamux, identify; no
 * listening, no discovery) connected to the given peers, so records go to and come from them over
 * libp2p (Kademlia PUT_VALUE/GET_VALUE, see src/ipfs/ipns/libp2p.ts).
 */
import './polyfill-node20.js'
import './network/websocket-node20.js'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { InvalidInputError } from '../core/errors.js'
import { NetworkUnreachableError } from './restic-ipfs/errors.js'
import type { RecordNetwork } from '../ipfs/ipns/libp2p.js'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface RecordPeerConnection {
  libp2p: RecordNetwork
  close: () => Promise<void>
}

/** How long to wait for identify to say which connected peers take records. */
const IDENTIFY_WAIT_MS = 5000

/** Dials `addrs` (each must end in `/p2p/<peer id>`); fails only when none can be reached. */
export async function connectRecordPeers (addrs: string[], options: { signal?: AbortSignal | undefined } = {}): Promise<RecordPeerConnection> {
  const parsed: Multiaddr[] = addrs.map((a) => {
    try {
      return multiaddr(a)
    } catch (err) {
      throw new InvalidInputError(`--peer "${a}" is not a multiaddr. Give e.g. /ip4/127.0.0.1/tcp/4003/ws/p2p/12D3Koo….`, { cause: err })
    }
  })
  const libp2p = await createLibp2p({
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Every address was given on the command line: allow private and loopback ones.
    connectionGater: { denyDialMultiaddr: async () => false },
    services: { identify: identify() }
  })
  const close = async (): Promise<void> => { await libp2p.stop() }
  try {
    const dials = await Promise.allSettled(parsed.map(async ma => await libp2p.dial(ma, { signal: AbortSignal.any([AbortSignal.timeout(15_000), ...(options.signal !== undefined ? [options.signal] : [])]) })))
    const reached = dials.filter(d => d.status === 'fulfilled').length
    if (reached === 0) {
      const why = dials.map((d, i) => `${addrs[i] ?? ''}: ${d.status === 'rejected' ? (d.reason as Error).message : ''}`).join('; ')
      throw new NetworkUnreachableError(`None of the given peers could be reached (${why}). Check the --peer addresses and that the peers are running.`)
    }
    const identified = async (): Promise<boolean> => {
      for (const c of libp2p.getConnections()) {
        const peer = await libp2p.peerStore.get(c.remotePeer).catch(() => undefined)
        if (peer === undefined || peer.protocols.length === 0) return false
      }
      return true
    }
    const deadline = Date.now() + IDENTIFY_WAIT_MS
    while (!await identified() && Date.now() < deadline) {
      options.signal?.throwIfAborted()
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return { libp2p, close }
  } catch (err) {
    await close().catch(() => {})
    throw err
  }
}
