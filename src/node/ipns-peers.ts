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
import { createLibp2p } from 'libp2p'
import { dialPeers } from './dial-peers.js'
import type { RecordNetwork } from '../ipfs/ipns/libp2p.js'

export interface RecordPeerConnection {
  libp2p: RecordNetwork
  close: () => Promise<void>
}

/** How long to wait for identify to say which connected peers take records. */
const IDENTIFY_WAIT_MS = 5000

/** Dials `addrs` (each must end in `/p2p/<peer id>`); fails only when none can be reached. */
export async function connectRecordPeers (addrs: string[], options: { signal?: AbortSignal | undefined } = {}): Promise<RecordPeerConnection> {
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
    await dialPeers(libp2p, addrs, options)
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
