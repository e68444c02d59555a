/**
 * Before the CLI moves an `ipns://` repository's name to a new root, it hands that root to its
 * `--peer` keepers: each is asked to pin it over `/cairn/pin/1.0.0` and fetches, over bitswap from
 * this node, only the blocks it lacks (the packs it kept for the previous root are already there),
 * walks the whole DAG and answers `pinned` once it holds all of it. The name moves only after one
 * keeper said `pinned`; otherwise the command fails and the name keeps its previous root, so it
 * never points at blocks that live only in this `$CAIRN_HOME`.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { isAbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { requestPeerPin } from '../../ipfs/push/peer-pin.js'
import { KeeperHandoffError, NoKeeperError } from './errors.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { PeerPinResult } from '../../ipfs/push/peer-pin.js'
import type { Libp2p } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Counts a keeper reports: blocks of the DAG walked, and those it lacked and fetched from here. */
export interface HandoffCounts {
  blocks: number
  bytes: number
  /** Blocks (and bytes) this node sent: the ones the keeper did not hold yet. */
  sentBlocks: number
  sentBytes: number
}

export type HandoffEvents =
  | ProgressEvent<'restic-ipfs:handoff:start', { root: CID, peers: string[] }>
  | ProgressEvent<'restic-ipfs:handoff:progress', { root: CID, peer: string } & HandoffCounts>
  | ProgressEvent<'restic-ipfs:handoff:pinned', { root: CID, peer: string, ms: number } & Omit<HandoffCounts, 'bytes'>>
  | ProgressEvent<'restic-ipfs:handoff:failed', { root: CID, peer: string, reason: string }>

export interface HandoffOptions extends OperationOptions<HandoffEvents> {
  /** The `$CAIRN_HOME` the blocks live in, for messages. */
  home?: string | undefined
}

export interface HandoffResult {
  /** The keepers that pinned the root, with what each reported. */
  pinned: PeerPinResult[]
  /** Keepers that did not, with why. */
  failed: Array<{ peer: string, reason: string }>
}

/**
 * Asks every `--peer` keeper (one address per peer ID) to pin `root` (all at once) and resolves once each has answered,
 * if at least one pinned it. Throws `NoKeeperError` when no address is given and
 * `KeeperHandoffError` (with each keeper's reason) when none pinned it.
 */
export async function handOffToKeepers (libp2p: Pick<Libp2p, 'dialProtocol'>, addrs: string[], root: CID, options: HandoffOptions = {}): Promise<HandoffResult> {
  const where = options.home === undefined ? 'on this node' : `in this CAIRN_HOME (${options.home})`
  if (addrs.length === 0) {
    throw new NoKeeperError(`No keeper was given, so the blocks would live only ${where} and no other device could fetch them. Pass --peer <multiaddr> of a peer that pins (e.g. the one \`cairn network\` prints), or --no-keeper to publish anyway.`)
  }
  // One request per keeper: several addresses of one peer (ws and tcp, say) name one keeper.
  const byPeer = new Map<string, string>()
  for (const addr of addrs) {
    const id = multiaddr(addr).getComponents().findLast(c => c.name === 'p2p')?.value ?? addr
    if (!byPeer.has(id)) byPeer.set(id, addr)
  }
  const peers = [...byPeer.values()]
  emit(options, 'restic-ipfs:handoff:start', { root, peers })
  const started = Date.now()
  const settled = await Promise.allSettled(peers.map(async (peer) => {
    const counts = { blocks: 0, bytes: 0, sentBlocks: 0, sentBytes: 0 }
    const result = await requestPeerPin(libp2p, multiaddr(peer), root, {
      name: 'cairn restic',
      signal: options.signal,
      onProgress: (evt) => {
        if (evt.type !== 'push:peer-pin:pinning') return
        Object.assign(counts, { blocks: evt.detail.blocks, bytes: evt.detail.bytes, sentBlocks: evt.detail.fetchedBlocks ?? 0, sentBytes: evt.detail.fetchedBytes ?? 0 })
        emit(options, 'restic-ipfs:handoff:progress', { root, peer, ...counts })
      }
    })
    emit(options, 'restic-ipfs:handoff:pinned', { root, peer, blocks: result.blocks, sentBlocks: result.fetchedBlocks ?? counts.sentBlocks, sentBytes: result.fetchedBytes ?? counts.sentBytes, ms: Date.now() - started })
    return result
  }))
  options.signal?.throwIfAborted()
  const out: HandoffResult = { pinned: [], failed: [] }
  settled.forEach((s, i) => {
    const peer = peers[i] ?? ''
    if (s.status === 'fulfilled') { out.pinned.push(s.value); return }
    if (isAbortError(s.reason)) throw s.reason
    const reason = (s.reason as Error).message
    out.failed.push({ peer, reason })
    emit(options, 'restic-ipfs:handoff:failed', { root, peer, reason })
  })
  if (out.pinned.length === 0) {
    const why = out.failed.map(f => `${f.peer}: ${f.reason}`).join('; ')
    throw new KeeperHandoffError(`No --peer keeper pinned it (${why}). Start a keeper (\`cairn network\`) and pass its address with --peer, or pass --no-keeper to publish blocks that live only ${where}.`)
  }
  return out
}
