/**
 * The router of the local network peer. There is no DHT on the local network, so this
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
 *
 * Records are held until their validity (EOL) ends, not their TTL: the TTL only says how long a
 * resolver may cache one. Given a `datastore`, each held record is also written there with the
 * time it was received, and `load()` reads them back after a restart (the record keeper re-sends
 * them from there, see record-keeper.ts). Providers live in memory only.
 */
import { NotFoundError } from '@libp2p/interface'
import { peerIdFromCID } from '@libp2p/peer-id'
import { multihashToIPNSRoutingKey, unmarshalIPNSRecord } from 'ipns'
import { ipnsSelector } from 'ipns/selector'
import { ipnsValidator } from 'ipns/validator'
import { Key } from 'interface-datastore'
import { base32 } from 'multiformats/bases/base32'
import { equalBytes } from '../../core/bytes.js'
import { NetworkStoreError, RecordRefusedError, UnsupportedRecordError } from './errors.js'

/** Why a valid record is not kept: the one held wins. */
export const REFUSED = 'A record with a higher sequence (or the same sequence and a later expiry) is already held for this name. Publish with a higher sequence.'
import type { Peer, Provider, Router, RoutingOptions } from '@helia/interface'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
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
  /** Where held records are also written (under `/cairn-network/ipns/`). Default: memory only. */
  datastore?: Pick<Datastore, 'put' | 'delete' | 'query'> | undefined
  /** Where the datastore is, for error messages (e.g. its folder). */
  datastoreName?: string | undefined
  /** Names held at most; a record for a new name beyond this is refused. Default 10 000. */
  maxRecords?: number | undefined
}

/** A record held for a name, and when it was received (ms since the epoch). */
export interface HeldRecord {
  /** The routing key, `/ipns/<multihash>`. */
  key: Uint8Array
  record: Uint8Array<ArrayBuffer>
  receivedAt: number
}

const RECORDS_PREFIX = '/cairn-network/ipns'
export const DEFAULT_MAX_RECORDS = 10_000

function storeKey (key: Uint8Array): Key {
  return new Key(`${RECORDS_PREFIX}/${base32.encode(key)}`)
}

function encodeHeld (held: HeldRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    key: Buffer.from(held.key).toString('base64'),
    record: Buffer.from(held.record).toString('base64'),
    receivedAt: held.receivedAt
  }))
}

/** Parses a stored entry; throws a plain Error saying what is wrong. */
function decodeHeld (bytes: Uint8Array): HeldRecord {
  let parsed: { key?: unknown, record?: unknown, receivedAt?: unknown }
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as typeof parsed
  } catch {
    throw new Error('it is not JSON')
  }
  if (parsed === null || typeof parsed !== 'object' || typeof parsed.key !== 'string' || typeof parsed.record !== 'string' ||
    typeof parsed.receivedAt !== 'number' || !Number.isFinite(parsed.receivedAt)) {
    throw new Error('it lacks the key, record or receivedAt fields')
  }
  const record = Buffer.from(parsed.record, 'base64')
  return { key: new Uint8Array(Buffer.from(parsed.key, 'base64')), record: new Uint8Array(record.buffer.slice(record.byteOffset, record.byteOffset + record.byteLength)), receivedAt: parsed.receivedAt }
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
  private readonly records = new Map<string, HeldRecord>()
  private readonly datastore: LocalRouterInit['datastore']
  private readonly datastoreName: string
  private readonly maxRecords: number
  private readonly listeners = new Set<(held: HeldRecord) => void>()
  /** cid string → (peer id string → { peer, expires }) */
  private readonly providers = new Map<string, Map<string, { peerId: PeerId, expires: number }>>()

  constructor (init: LocalRouterInit) {
    this.blockstore = init.blockstore
    this.datastore = init.datastore
    this.datastoreName = init.datastoreName ?? 'the datastore'
    this.maxRecords = init.maxRecords ?? DEFAULT_MAX_RECORDS
  }

  /**
   * Reads the records held before a restart back from the datastore. Records whose validity ended
   * meanwhile are deleted; an entry that is not a valid held record is a `NetworkStoreError`.
   */
  async load (options: { signal?: AbortSignal | undefined } = {}): Promise<number> {
    if (this.datastore === undefined) return 0
    for await (const { key, value } of this.datastore.query({ prefix: RECORDS_PREFIX }, options)) {
      let held: HeldRecord
      try {
        held = decodeHeld(value)
        if (storeKey(held.key).toString() !== key.toString()) throw new Error('its name differs from the name it is filed under')
        await ipnsValidator(held.key, held.record)
      } catch (err) {
        if ((err as Error).name === 'RecordExpiredError') {
          await this.datastore.delete(key, options)
          continue
        }
        throw new NetworkStoreError(`The held IPNS record ${key.toString()} in ${this.datastoreName} is not a valid record (${(err as Error).message}). Delete that entry (the file ${key.toString().slice(1)}.data there) to drop it, or move the whole local network folder aside; then start again.`, { cause: err })
      }
      this.records.set(keyString(held.key), held)
    }
    return this.records.size
  }

  /** Every record held now (valid or not yet checked again), for the record keeper. */
  held (): HeldRecord[] {
    return [...this.records.values()]
  }

  /** Calls `fn` each time a record is newly held (not when the same record comes again). Returns an unsubscribe. */
  onRecord (fn: (held: HeldRecord) => void): () => void {
    this.listeners.add(fn)
    return () => { this.listeners.delete(fn) }
  }

  /** Forgets the record held for `key` (from memory and the datastore). */
  async drop (key: Uint8Array): Promise<void> {
    this.records.delete(keyString(key))
    try {
      await this.datastore?.delete(storeKey(key))
    } catch {
      // dropped from memory; the entry on disk is checked (and dropped) again at the next start
    }
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
    const existing = this.records.get(k)?.record
    if (existing !== undefined && ipnsSelector(key, [existing, value]) === 0) {
      return equalBytes(existing, value)
    }
    if (existing === undefined && this.records.size >= this.maxRecords) {
      throw new RecordRefusedError(`The local network holds records for ${this.maxRecords} names already and takes no new name. Publish to another router.`)
    }
    const held: HeldRecord = { key: new Uint8Array(key), record: new Uint8Array(value), receivedAt: Date.now() }
    if (this.datastore !== undefined) await this.datastore.put(storeKey(key), encodeHeld(held))
    this.records.set(k, held)
    for (const fn of this.listeners) {
      try { fn(held) } catch { /* a listener's failure is its own */ }
    }
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
    const record = this.records.get(k)?.record
    if (record === undefined) throw new NotFoundError('No record for this key on the local network')
    try {
      // checks the validity (EOL) only: a record past its TTL is still answered
      await ipnsValidator(key, record)
    } catch {
      // expired since it was put
      await this.drop(key)
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
    const held = this.records.get(keyString(multihashToIPNSRoutingKey(digest as MultihashDigest<0x00 | 0x12>)))
    return held === undefined ? undefined : unmarshalIPNSRecord(held.record).value
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
