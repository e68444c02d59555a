/**
 * An in-memory router for the local network peer. There is no DHT on the local network, so this
 * router is what lets one browser find what another one published (over Routing V1 HTTP, and over
 * libp2p through the Kademlia record messages that `serveRecords` answers from here):
 *
 * - IPNS records put by any client (validated, best record kept per name by `ipnsSelector`);
 * - providers: this peer for every block in its blockstore, plus any peer recorded with `provide()`
 *   (this peer) or `addProvider()` (another peer);
 * - peers: this peer, and any peer in the peer store (connected clients, with the circuit
 *   addresses they announced through identify).
 *
 * It plugs into Helia as a `Router`, so `helia.routing` and the Routing V1 HTTP server see it.
 */
import { NotFoundError } from '@libp2p/interface'
import { peerIdFromCID } from '@libp2p/peer-id'
import { multihashToIPNSRoutingKey, unmarshalIPNSRecord } from 'ipns'
import { ipnsSelector } from 'ipns/selector'
import { ipnsValidator } from 'ipns/validator'
import { equalBytes } from '../../core/bytes.js'
import { RecordRefusedError, UnsupportedRecordError } from './errors.js'

/** Why a valid record is not kept: the one held wins. */
export const REFUSED = 'A record with a higher sequence (or the same sequence and a later expiry) is already held for this name. Publish with a higher sequence.'
import type { Peer, Provider, Router, RoutingOptions } from '@helia/interface'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import type { MultihashDigest } from 'multiformats/hashes/interface'

export const LOCAL_ROUTER_NAME = 'cairn-local-router'

const IPNS_PREFIX = new TextEncoder().encode('/ipns/')

/** How long a provider record from `provide()` / `addProvider()` lasts, like a DHT provider record. */
export const PROVIDER_RECORD_TTL_MS = 48 * 60 * 60 * 1000

type LocalLibp2p = Pick<Libp2p, 'peerId' | 'getMultiaddrs' | 'peerStore'>

export interface LocalRouterInit {
  /** The peer's own blockstore (not Helia's networked one): "holds" means holds locally. */
  blockstore: Pick<Blockstore, 'has'>
}

function startsWith (bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.byteLength < prefix.byteLength) return false
  return prefix.every((b, i) => bytes[i] === b)
}

function keyString (key: Uint8Array): string {
  return Buffer.from(key).toString('base64')
}

export class LocalRouter implements Router {
  readonly name = LOCAL_ROUTER_NAME
  private readonly blockstore: Pick<Blockstore, 'has'>
  private libp2p: LocalLibp2p | undefined
  private readonly records = new Map<string, Uint8Array<ArrayBuffer>>()
  /** cid string → (peer id string → { peer, expires }) */
  private readonly providers = new Map<string, Map<string, { peerId: PeerId, expires: number }>>()

  constructor (init: LocalRouterInit) {
    this.blockstore = init.blockstore
  }

  /** Called once libp2p has started: before that the router knows no peers, not even itself. */
  attach (libp2p: LocalLibp2p): void {
    this.libp2p = libp2p
  }

  /** Records `peerId` as a provider of `cid` (for peers that announce content through this one). */
  addProvider (cid: CID, peerId: PeerId, ttlMs = PROVIDER_RECORD_TTL_MS): void {
    const key = cid.multihash.toString()
    let peers = this.providers.get(key)
    if (peers === undefined) {
      peers = new Map()
      this.providers.set(key, peers)
    }
    peers.set(peerId.toString(), { peerId, expires: Date.now() + ttlMs })
  }

  async provide (cid: CID): Promise<void> {
    if (this.libp2p === undefined) return
    this.addProvider(cid, this.libp2p.peerId)
  }

  async cancelReprovide (cid: CID): Promise<void> {
    if (this.libp2p === undefined) return
    this.providers.get(cid.multihash.toString())?.delete(this.libp2p.peerId.toString())
  }

  async * findProviders (cid: CID, options?: RoutingOptions): AsyncGenerator<Provider> {
    const libp2p = this.libp2p
    if (libp2p === undefined) return
    const self = libp2p.peerId
    let selfYielded = false
    if (await this.blockstore.has(cid, options)) {
      selfYielded = true
      yield this.toProvider(self, libp2p.getMultiaddrs())
    }
    const key = cid.multihash.toString()
    const peers = this.providers.get(key)
    if (peers === undefined) return
    const now = Date.now()
    for (const [id, entry] of [...peers]) {
      if (entry.expires < now) {
        peers.delete(id)
        continue
      }
      if (entry.peerId.equals(self)) {
        if (!selfYielded) yield this.toProvider(self, libp2p.getMultiaddrs())
        continue
      }
      yield this.toProvider(entry.peerId, await this.addressesOf(entry.peerId))
    }
    if (peers.size === 0) this.providers.delete(key)
  }

  /**
   * Stores a record; throws `RecordRefusedError` when the one held is better (an HTTP PUT of an
   * older record was answered 200 and its publisher told "ok", while libp2p refused it).
   */
  async put (key: Uint8Array, value: Uint8Array, _options?: RoutingOptions): Promise<void> {
    if (!await this.accept(key, value)) throw new RecordRefusedError(REFUSED)
  }

  /**
   * Validates and stores an IPNS record unless the one held is better (by `ipnsSelector`: higher
   * sequence, then later expiry). Resolves true when `value` is now the record held (also when it
   * already was), false when a better one was kept. Throws when the record is invalid.
   */
  async accept (key: Uint8Array, value: Uint8Array): Promise<boolean> {
    if (!startsWith(key, IPNS_PREFIX)) {
      throw new UnsupportedRecordError('The local network only stores IPNS records (keys starting with /ipns/). Publish an IPNS record instead.')
    }
    await ipnsValidator(key, value)
    const k = keyString(key)
    const existing = this.records.get(k)
    if (existing !== undefined && ipnsSelector(key, [existing, value]) === 0) {
      return equalBytes(existing, value)
    }
    this.records.set(k, new Uint8Array(value))
    return true
  }

  /** The record held for `key`, if any and still valid (for the libp2p record server). */
  async find (key: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      return await this.get(key)
    } catch (err) {
      if ((err as Error).name === 'NotFoundError') return undefined
      throw err
    }
  }

  async get (key: Uint8Array, _options?: RoutingOptions): Promise<Uint8Array<ArrayBuffer>> {
    const k = keyString(key)
    const record = this.records.get(k)
    if (record === undefined) throw new NotFoundError('No record for this key on the local network')
    try {
      await ipnsValidator(key, record)
    } catch {
      // expired since it was put
      this.records.delete(k)
      throw new NotFoundError('The record for this key has expired')
    }
    return record
  }

  async findPeer (id: CID, _options?: RoutingOptions): Promise<Peer> {
    const libp2p = this.libp2p
    if (libp2p === undefined) throw new NotFoundError('The local network has not started')
    const peerId = peerIdFromCID(id)
    if (peerId.equals(libp2p.peerId)) return this.toPeer(peerId, libp2p.getMultiaddrs())
    const addrs = await this.addressesOf(peerId)
    if (addrs.length === 0) throw new NotFoundError(`Peer ${peerId.toString()} is not known on the local network`)
    return this.toPeer(peerId, addrs)
  }

  /** No DHT, so "closest" is every peer this one knows addresses for. */
  async * getClosestPeers (_key: Uint8Array, _options?: RoutingOptions): AsyncGenerator<Peer> {
    const libp2p = this.libp2p
    if (libp2p === undefined) return
    for (const peer of await libp2p.peerStore.all()) {
      if (peer.addresses.length === 0) continue
      yield this.toPeer(peer.id, peer.addresses.map(a => a.multiaddr))
    }
  }

  /** The number of IPNS names currently stored (for status output). */
  get recordCount (): number {
    return this.records.size
  }

  /** The IPNS value (e.g. `/ipfs/bafy…`) stored for a name (a peer id or public key), if any: for logs and tests. */
  describeRecord (name: { toMultihash: () => MultihashDigest }): string | undefined {
    const digest = name.toMultihash()
    if (digest.code !== 0x00 && digest.code !== 0x12) return undefined
    const record = this.records.get(keyString(multihashToIPNSRoutingKey(digest as MultihashDigest<0x00 | 0x12>)))
    return record === undefined ? undefined : unmarshalIPNSRecord(record).value
  }

  private async addressesOf (peerId: PeerId): Promise<Multiaddr[]> {
    try {
      const peer = await this.libp2p?.peerStore.get(peerId)
      return peer?.addresses.map(a => a.multiaddr) ?? []
    } catch {
      return []
    }
  }

  private toProvider (peerId: PeerId, multiaddrs: Multiaddr[]): Provider {
    return { id: peerId.toCID(), multiaddrs, router: this.name, fallback: false, protocols: ['transport-bitswap'] }
  }

  private toPeer (peerId: PeerId, multiaddrs: Multiaddr[]): Peer {
    return { id: peerId.toCID(), multiaddrs, router: this.name }
  }
}
