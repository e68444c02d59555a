/**
 * A keeper that is a libp2p peer speaking `/cairn/pin/1.0.0` (the local network, or another
 * Cairn node that agrees to pin): `pushDag` asks it to pin (it fetches the blocks from this node
 * over bitswap, so stay connected), `status` asks without pinning (a status query; peers older
 * than the query cannot say: `unknown`), and `pushRecord` hands a signed IPNS record over with
 * Kademlia PUT_VALUE, which the peer stores and serves (the local network does).
 */
import { isAbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { validateRecord } from '../ipns/inspect.js'
import { putRecordToPeer } from '../ipns/libp2p.js'
import { KeeperError } from './errors.js'
import { queryPeerPin, requestPeerPin } from './peer-pin.js'
import type { Keeper, KeptStatus, PushDagOptions } from './keeper.js'
import type { AbortOptions } from '../../core/options.js'
import type { RecordNetwork } from '../ipns/libp2p.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

export interface PeerKeeperInit {
  /** This node's libp2p. */
  libp2p: Pick<Libp2p, 'dialProtocol' | 'getConnections' | 'peerStore'> & RecordNetwork
  /** The peer that keeps. */
  peer: PeerId
  /** Shown to the user. Default: `Peer <short id>`. */
  label?: string | undefined
}

export class PeerKeeper implements Keeper {
  readonly id: string
  readonly kind = 'peer' as const
  readonly label: string
  readonly holdsRecords = true
  readonly #libp2p: PeerKeeperInit['libp2p']
  readonly #peer: PeerId

  constructor (init: PeerKeeperInit) {
    this.#libp2p = init.libp2p
    this.#peer = init.peer
    const id = init.peer.toString()
    this.id = `peer:${id}`
    this.label = init.label ?? `Peer …${id.slice(-8)}`
  }

  /** Throws the peer-pin errors (`PeerPinRefusedError`, `PeerPinFailedError`, `PeerPinUnreachableError`, …). */
  async pushDag (root: CID, options: PushDagOptions): Promise<KeptStatus> {
    const result = await requestPeerPin(this.#libp2p, this.#peer, root, {
      name: options.name,
      signal: options.signal,
      onProgress: (evt) => {
        if (evt.type === 'push:peer-pin:queued') emit(options, 'push:keeper:status', { state: 'queued' })
        if (evt.type === 'push:peer-pin:pinning') emit(options, 'push:keeper:status', { state: 'pinning', detail: `${evt.detail.blocks} blocks fetched` })
      }
    })
    const status: KeptStatus = { state: 'pinned', detail: `${result.blocks} blocks` }
    emit(options, 'push:keeper:status', status)
    return status
  }

  async status (root: CID, options: AbortOptions = {}): Promise<KeptStatus> {
    const answer = await queryPeerPin(this.#libp2p, this.#peer, root, options)
    if (answer.status === 'declined') return { state: 'unknown', detail: `the peer cannot say: ${answer.reason}` }
    const detail = answer.reason ?? (answer.blocks !== undefined && answer.state !== 'absent' ? `${answer.blocks} blocks` : undefined)
    return detail !== undefined ? { state: answer.state, detail } : { state: answer.state }
  }

  /** Checks the record belongs to `name` and is valid, then sends it with PUT_VALUE. */
  async pushRecord (name: string, record: Uint8Array, options: AbortOptions = {}): Promise<void> {
    const checked = await validateRecord(record, { name })
    try {
      await putRecordToPeer(this.#libp2p, this.#peer, checked.name.routingKey, record, { signal: options.signal })
    } catch (err) {
      if (options.signal?.aborted === true || isAbortError(err)) throw err
      throw new KeeperError(`Peer ${this.#peer.toString()} did not take the record for ${checked.name.k51}: ${(err as Error).message} Check that it is connected on the Node page, then push again.`, { cause: err })
    }
  }
}
