/**
 * IPNS records over libp2p, straight to connected peers: the record messages of the Kademlia DHT
 * protocol (`/ipfs/kad/1.0.0`, PUT_VALUE and GET_VALUE), sent to every connected peer that lists
 * the protocol in identify. No DHT walk: a browser tab reaches few peers, and a walk through
 * peers it cannot dial only stalls. Any DHT server (Kubo, js `@libp2p/kad-dht`) takes these
 * messages, and the local network peer answers them from the same store as its Routing V1 HTTP
 * API, so a record pushed over libp2p is resolvable over HTTP too.
 *
 * Wire format: each message is an unsigned-varint length-prefixed protobuf `Message`; a PUT_VALUE
 * carries a libp2p `Record` whose value is the marshalled IPNS record. A server echoes an accepted
 * PUT_VALUE and resets the stream when it refuses one (that is all the protocol can say).
 *
 * `serveRecords` answers the same messages from a `RecordStore`, so a tab (or the local network
 * peer) holds and serves the records pushed to it.
 */
import { Libp2pRecord } from '@libp2p/record'
import { lpStream } from '@libp2p/utils'
import { equalBytes } from '../../core/bytes.js'
import { emit } from '../../core/options.js'
import { RoutingError } from './errors.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

export const KAD_PROTOCOL = '/ipfs/kad/1.0.0'

/** Kademlia message types (`MessageType` in the libp2p kad-dht spec). */
export const MessageType = { PUT_VALUE: 0, GET_VALUE: 1, ADD_PROVIDER: 2, GET_PROVIDERS: 3, FIND_NODE: 4, PING: 5 } as const

/** The fields of a kad `Message` this module reads and writes; peer lists are only counted. */
export interface KadMessage {
  type: number
  key?: Uint8Array | undefined
  /** A marshalled libp2p `Record`. */
  record?: Uint8Array | undefined
  clusterLevel?: number | undefined
  /** How many `closer` peers the message lists (never sent by this module). */
  closer?: number | undefined
  /** How many `providers` the message lists (never sent by this module). */
  providers?: number | undefined
}

/** Largest message either side reads: an IPNS record is at most 10 KiB, peer lists add a little. */
const MAX_MESSAGE_BYTES = 64 * 1024
/** How long a request may take when no signal is given. */
const DEFAULT_TIMEOUT_MS = 10_000

export class KadMessageError extends RoutingError {
  static override readonly code: string = 'ERR_IPNS_KAD_MESSAGE'
}

function writeVarint (out: number[], value: number): void {
  let v = value
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
}

function readVarint (buf: Uint8Array, pos: { at: number }): number {
  let result = 0
  let scale = 1
  for (let i = 0; i < 10; i++) {
    const byte = buf[pos.at++]
    if (byte === undefined) throw new KadMessageError('A peer sent a truncated Kademlia message (it ends inside a varint).')
    result += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) return result
    scale *= 128
  }
  throw new KadMessageError('A peer sent a Kademlia message with a varint longer than 10 bytes.')
}

function writeBytes (out: number[], field: number, bytes: Uint8Array): void {
  writeVarint(out, (field << 3) | 2)
  writeVarint(out, bytes.byteLength)
  for (const b of bytes) out.push(b)
}

/** Encodes a kad `Message` (type, key, record, clusterLevel). */
export function encodeKadMessage (message: KadMessage): Uint8Array {
  const out: number[] = []
  writeVarint(out, 1 << 3)
  writeVarint(out, message.type)
  if (message.key !== undefined) writeBytes(out, 2, message.key)
  if (message.record !== undefined) writeBytes(out, 3, message.record)
  if (message.clusterLevel !== undefined) {
    writeVarint(out, 10 << 3)
    writeVarint(out, message.clusterLevel)
  }
  return Uint8Array.from(out)
}

/** Decodes a kad `Message`; unknown fields are skipped, as protobuf requires. */
export function decodeKadMessage (bytes: Uint8Array): KadMessage {
  const message: KadMessage = { type: MessageType.PUT_VALUE, closer: 0, providers: 0 }
  const pos = { at: 0 }
  while (pos.at < bytes.length) {
    const tag = readVarint(bytes, pos)
    const field = Math.floor(tag / 8)
    const wire = tag % 8
    if (wire === 0) {
      const v = readVarint(bytes, pos)
      if (field === 1) message.type = v
      else if (field === 10) message.clusterLevel = v
    } else if (wire === 2) {
      const length = readVarint(bytes, pos)
      if (pos.at + length > bytes.length) throw new KadMessageError('A peer sent a truncated Kademlia message (a field runs past its end).')
      const value = bytes.subarray(pos.at, pos.at + length)
      pos.at += length
      if (field === 2) message.key = value
      else if (field === 3) message.record = value
      else if (field === 8) message.closer = (message.closer ?? 0) + 1
      else if (field === 9) message.providers = (message.providers ?? 0) + 1
    } else if (wire === 1) {
      pos.at += 8
    } else if (wire === 5) {
      pos.at += 4
    } else {
      throw new KadMessageError(`A peer sent a Kademlia message with protobuf wire type ${wire}, which it does not use.`)
    }
  }
  if (pos.at > bytes.length) throw new KadMessageError('A peer sent a truncated Kademlia message.')
  return message
}

/** What this module needs of a libp2p node to send. */
export type RecordNetwork = Pick<Libp2p, 'getConnections' | 'peerStore' | 'dialProtocol'>

/** Connected peers that speak the Kademlia protocol (per identify), each once. */
export async function recordPeers (libp2p: RecordNetwork): Promise<PeerId[]> {
  const out: PeerId[] = []
  const seen = new Set<string>()
  for (const connection of libp2p.getConnections()) {
    if (connection.status !== 'open') continue
    const id = connection.remotePeer
    const key = id.toString()
    if (seen.has(key)) continue
    seen.add(key)
    try {
      const peer = await libp2p.peerStore.get(id)
      if (peer.protocols.includes(KAD_PROTOCOL)) out.push(id)
    } catch {
      // not in the peer store yet (identify still running): not a record peer for now
    }
  }
  return out
}

function timeoutSignal (signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs ?? DEFAULT_TIMEOUT_MS)
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout])
}

/** One request, one answer, on a fresh stream. */
async function exchange (libp2p: RecordNetwork, peer: PeerId, message: KadMessage, signal: AbortSignal): Promise<KadMessage> {
  const stream: Stream = await libp2p.dialProtocol(peer, KAD_PROTOCOL, { signal, runOnLimitedConnection: true })
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    await lp.write(encodeKadMessage(message), { signal })
    const reply = decodeKadMessage((await lp.read({ signal })).subarray())
    await stream.close({ signal }).catch(() => {})
    return reply
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}

export interface PeerRecordOptions {
  signal?: AbortSignal | undefined
  /** Per-peer request timeout. @default 10 s */
  timeoutMs?: number | undefined
}

/**
 * Sends `record` (marshalled IPNS record bytes) under `routingKey` (`/ipns/<multihash>`) to `peer`
 * with PUT_VALUE; resolves when the peer echoes it back, i.e. stored it.
 */
export async function putRecordToPeer (libp2p: RecordNetwork, peer: PeerId, routingKey: Uint8Array, record: Uint8Array, options: PeerRecordOptions = {}): Promise<void> {
  const signal = timeoutSignal(options.signal, options.timeoutMs)
  const wrapped = new Libp2pRecord(routingKey, record, new Date()).serialize()
  let reply: KadMessage
  try {
    reply = await exchange(libp2p, peer, { type: MessageType.PUT_VALUE, key: routingKey, record: wrapped }, signal)
  } catch (err) {
    options.signal?.throwIfAborted()
    const e = err as Error
    if (e.name === 'StreamResetError' || e.name === 'UnexpectedEOFError' || e.name === 'StreamAbortedError') {
      throw new RoutingError(`Peer ${peer.toString()} refused the record (it reset the stream): it holds a newer one for this name, or judged this one invalid.`, { cause: err })
    }
    throw new RoutingError(`Could not send the record to peer ${peer.toString()}: ${e.message}`, { cause: err })
  }
  if (reply.type !== MessageType.PUT_VALUE || reply.key === undefined || !equalBytes(reply.key, routingKey)) {
    throw new KadMessageError(`Peer ${peer.toString()} answered a PUT_VALUE with a different message (type ${reply.type}); it did not confirm storing the record.`)
  }
}

/** Asks `peer` for the record under `routingKey` with GET_VALUE; undefined when it has none. */
export async function getRecordFromPeer (libp2p: RecordNetwork, peer: PeerId, routingKey: Uint8Array, options: PeerRecordOptions = {}): Promise<Uint8Array | undefined> {
  const signal = timeoutSignal(options.signal, options.timeoutMs)
  let reply: KadMessage
  try {
    reply = await exchange(libp2p, peer, { type: MessageType.GET_VALUE, key: routingKey }, signal)
  } catch (err) {
    options.signal?.throwIfAborted()
    throw new RoutingError(`Could not ask peer ${peer.toString()} for the record: ${(err as Error).message}`, { cause: err })
  }
  if (reply.type !== MessageType.GET_VALUE) {
    throw new KadMessageError(`Peer ${peer.toString()} answered a GET_VALUE with message type ${reply.type}.`)
  }
  if (reply.record === undefined) return undefined
  const record = Libp2pRecord.deserialize(reply.record)
  if (!equalBytes(record.key, routingKey)) {
    throw new KadMessageError(`Peer ${peer.toString()} answered with a record for a different key.`)
  }
  return record.value
}

/** Where served records live. `put` throws to refuse a record (invalid, or older than the one held). */
export interface RecordStore {
  put: (routingKey: Uint8Array, record: Uint8Array, options: { signal: AbortSignal }) => Promise<void>
  get: (routingKey: Uint8Array, options: { signal: AbortSignal }) => Promise<Uint8Array | undefined>
}

export type ServeRecordEvents =
  | ProgressEvent<'ipns:libp2p:put', { peer: string, ok: boolean, error?: string | undefined }>
  | ProgressEvent<'ipns:libp2p:get', { peer: string, found: boolean }>

export interface ServeRecordsOptions extends OperationOptions<ServeRecordEvents> {
  /** Streams one peer may have open at once. @default 16 */
  maxInboundStreams?: number | undefined
}

/**
 * Answers Kademlia record messages from `store`: PUT_VALUE (the store validates; refusal resets
 * the stream), GET_VALUE (the record, if held), PING (echo). FIND_NODE and GET_PROVIDERS get an
 * empty answer: this is a record holder, not a DHT router. Returns a function that stops serving.
 */
export async function serveRecords (libp2p: Pick<Libp2p, 'handle' | 'unhandle'>, store: RecordStore, options: ServeRecordsOptions = {}): Promise<() => Promise<void>> {
  await libp2p.handle(KAD_PROTOCOL, async (stream, connection) => {
    const peer = connection.remotePeer.toString()
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    try {
      for (;;) {
        if (stream.readStatus !== 'readable') break
        const signal = AbortSignal.timeout(DEFAULT_TIMEOUT_MS)
        let bytes: Uint8Array
        try {
          bytes = (await lp.read({ signal })).subarray()
        } catch (err) {
          if ((err as Error).name === 'UnexpectedEOFError') break
          throw err
        }
        const message = decodeKadMessage(bytes)
        let reply: KadMessage
        switch (message.type) {
          case MessageType.PUT_VALUE: {
            if (message.record === undefined || message.key === undefined) throw new KadMessageError('PUT_VALUE without a key or record.')
            const record = Libp2pRecord.deserialize(message.record)
            if (!equalBytes(record.key, message.key)) throw new KadMessageError('PUT_VALUE whose record key differs from the message key.')
            try {
              await store.put(record.key, record.value, { signal })
            } catch (err) {
              emit(options, 'ipns:libp2p:put', { peer, ok: false, error: (err as Error).message })
              throw err
            }
            emit(options, 'ipns:libp2p:put', { peer, ok: true })
            reply = { type: MessageType.PUT_VALUE, key: message.key, record: message.record }
            break
          }
          case MessageType.GET_VALUE: {
            if (message.key === undefined || message.key.byteLength === 0) throw new KadMessageError('GET_VALUE without a key.')
            const value = await store.get(message.key, { signal })
            emit(options, 'ipns:libp2p:get', { peer, found: value !== undefined })
            reply = { type: MessageType.GET_VALUE, key: message.key, record: value === undefined ? undefined : new Libp2pRecord(message.key, value, new Date()).serialize() }
            break
          }
          case MessageType.ADD_PROVIDER:
            // a provider announcement expects no answer; records only are held here
            continue
          case MessageType.FIND_NODE:
          case MessageType.GET_PROVIDERS:
          case MessageType.PING:
            reply = { type: message.type, key: message.key, clusterLevel: message.clusterLevel }
            break
          default:
            throw new KadMessageError(`Message type ${message.type} is not answered here.`)
        }
        await lp.write(encodeKadMessage(reply), { signal })
      }
      await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => {})
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: options.maxInboundStreams ?? 16 })
  return async () => { await libp2p.unhandle(KAD_PROTOCOL) }
}
