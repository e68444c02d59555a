/**
 * Asking a connected peer to pin a DAG: the `/cairn/pin/1.0.0` libp2p protocol.
 *
 * One stream per request, each message a length-prefixed (unsigned varint) UTF-8 JSON object:
 *
 *   requester → pinner   { "type": "pin", "cid": "<cid>", "name"?: "<label>" }
 *   pinner → requester   { "status": "queued" }
 *                        { "status": "pinning", "blocks": <n>, "bytes": <n> }   (repeated)
 *                        { "status": "pinned", "blocks": <n> }                  (final)
 *
 * `pinning` and `pinned` may also carry `fetchedBlocks` and `fetchedBytes`: how many of the
 * blocks the pinner lacked and fetched from peers (the rest it already held).
 *                        { "status": "failed", "reason": "<why>" }              (final)
 *                        { "status": "refused", "reason": "<why>" }             (final)
 *
 * The pinner fetches the blocks it lacks over bitswap (the requester is connected and holds
 * them), pins the root, and closes the stream after a final status. Closing or resetting the
 * stream early cancels the request.
 *
 * A status query asks "is this CID pinned here?" without pinning:
 *
 *   requester → pinner   { "type": "status", "cid": "<cid>" }
 *   pinner → requester   { "status": "report", "state": "pinned" | "pinning" | "queued" | "failed" | "absent",
 *                          "blocks"?: <n>, "reason"?: "<why>" }                      (final)
 *                        { "status": "refused", "reason": "<why>" }                  (final)
 *
 * A request of a type the pinner does not know is declined (`refused`); peers older than the
 * status query answer it with `failed` ("bad request"). Either means the peer cannot say. Peers that accept requests list the protocol in identify, so
 * `listPinningPeers` finds them among the connected peers.
 */
import { lpStream } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import { AbortError, isAbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { PeerPinFailedError, PeerPinProtocolError, PeerPinRefusedError, PeerPinUnreachableError } from './errors.js'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const PIN_PROTOCOL = '/cairn/pin/1.0.0'

/** Largest message either side accepts. */
const MAX_MESSAGE_BYTES = 64 * 1024

export interface PeerPinRequest {
  type: 'pin'
  cid: string
  name?: string | undefined
}

export interface PeerPinStatusQuery {
  type: 'status'
  cid: string
}

/** What a pinner holds for a CID, as a status query's answer says. */
export type PeerHeldState = 'pinned' | 'pinning' | 'queued' | 'failed' | 'absent'

export interface PeerPinReport {
  status: 'report'
  state: PeerHeldState
  blocks?: number | undefined
  reason?: string | undefined
}

/** Of the blocks walked, those the pinner lacked and fetched (absent from older pinners). */
export interface PeerPinFetched {
  fetchedBlocks?: number | undefined
  fetchedBytes?: number | undefined
}

export type PeerPinStatus =
  | { status: 'queued' }
  | ({ status: 'pinning', blocks: number, bytes: number } & PeerPinFetched)
  | ({ status: 'pinned', blocks: number } & PeerPinFetched)
  | { status: 'failed', reason: string }
  | { status: 'refused', reason: string }

export type PeerPinEvents =
  | ProgressEvent<'push:peer-pin:queued', { peer: string, cid: CID }>
  | ProgressEvent<'push:peer-pin:pinning', { peer: string, cid: CID, blocks: number, bytes: number } & PeerPinFetched>
  | ProgressEvent<'push:peer-pin:pinned', { peer: string, cid: CID, blocks: number } & PeerPinFetched>

export interface PeerPinOptions extends OperationOptions<PeerPinEvents> {
  /** A label the pinner may store with the pin. */
  name?: string | undefined
}

export interface PeerPinResult extends PeerPinFetched {
  cid: CID
  peer: string
  /** Blocks the peer's pin covers. */
  blocks: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function encode (message: PeerPinRequest | PeerPinStatusQuery | PeerPinStatus | PeerPinReport): Uint8Array {
  return encoder.encode(JSON.stringify(message))
}

function parse (bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    throw new PeerPinProtocolError(`The ${what} is not JSON, so the other side does not speak ${PIN_PROTOCOL} as Cairn does.`, { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PeerPinProtocolError(`The ${what} is not a JSON object, so the other side does not speak ${PIN_PROTOCOL} as Cairn does.`)
  }
  return value as Record<string, unknown>
}

const count = (v: unknown): number => typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0
/** The optional fetched counts, only when the pinner sent them. */
function fetchedOf (m: Record<string, unknown>): PeerPinFetched {
  return {
    ...(m.fetchedBlocks !== undefined ? { fetchedBlocks: count(m.fetchedBlocks) } : {}),
    ...(m.fetchedBytes !== undefined ? { fetchedBytes: count(m.fetchedBytes) } : {})
  }
}
const text = (v: unknown, fallback: string): string => typeof v === 'string' && v !== '' ? v.slice(0, 1000) : fallback

/** Decodes one status message from a pinner. */
export function decodePeerPinStatus (bytes: Uint8Array): PeerPinStatus {
  const m = parse(bytes, 'answer')
  switch (m.status) {
    case 'queued': return { status: 'queued' }
    case 'pinning': return { status: 'pinning', blocks: count(m.blocks), bytes: count(m.bytes), ...fetchedOf(m) }
    case 'pinned': return { status: 'pinned', blocks: count(m.blocks), ...fetchedOf(m) }
    case 'failed': return { status: 'failed', reason: text(m.reason, 'no reason given') }
    case 'refused': return { status: 'refused', reason: text(m.reason, 'no reason given') }
    default: throw new PeerPinProtocolError(`Unknown pin status ${JSON.stringify(m.status)} from the peer.`)
  }
}

const HELD: readonly PeerHeldState[] = ['pinned', 'pinning', 'queued', 'failed', 'absent']

/**
 * Decodes the answer to a status query: a report, or `declined` when the peer cannot say (it
 * declined, or is older than the status query and called it a bad request).
 */
export function decodePeerPinReport (bytes: Uint8Array): PeerPinReport | { status: 'declined', reason: string } {
  const m = parse(bytes, 'answer')
  if (m.status === 'report') {
    if (!HELD.includes(m.state as PeerHeldState)) throw new PeerPinProtocolError(`Unknown held state ${JSON.stringify(m.state)} from the peer.`)
    return {
      status: 'report',
      state: m.state as PeerHeldState,
      ...(m.blocks !== undefined ? { blocks: count(m.blocks) } : {}),
      ...(typeof m.reason === 'string' ? { reason: text(m.reason, '') } : {})
    }
  }
  if (m.status === 'refused' || m.status === 'failed') return { status: 'declined', reason: text(m.reason, 'no reason given') }
  throw new PeerPinProtocolError(`Unknown answer ${JSON.stringify(m.status)} to a status query from the peer.`)
}

/** Decodes a request of either type; throws `PeerPinProtocolError` when it is malformed. */
export function decodePeerRequest (bytes: Uint8Array): { type: 'pin', cid: CID, name?: string } | { type: 'status', cid: CID } | { type: 'unknown', what: string } {
  const m = parse(bytes, 'request')
  if (m.type === 'status') {
    if (typeof m.cid !== 'string') throw new PeerPinProtocolError('A status query needs a "cid".')
    return { type: 'status', cid: parseCid(m.cid) }
  }
  if (m.type !== 'pin') return { type: 'unknown', what: JSON.stringify(m.type)?.slice(0, 100) ?? 'undefined' }
  return { type: 'pin', ...decodePeerPinRequest(bytes) }
}

function parseCid (text: string): CID {
  try {
    return CID.parse(text)
  } catch (err) {
    throw new PeerPinProtocolError(`"${text.slice(0, 100)}" is not a CID.`, { cause: err })
  }
}

/** Decodes a pin request; throws `PeerPinProtocolError` when it is malformed. */
export function decodePeerPinRequest (bytes: Uint8Array): { cid: CID, name?: string } {
  const m = parse(bytes, 'request')
  if (m.type !== 'pin' || typeof m.cid !== 'string') throw new PeerPinProtocolError('A pin request needs "type": "pin" and a "cid".')
  let cid: CID
  try {
    cid = CID.parse(m.cid)
  } catch (err) {
    throw new PeerPinProtocolError(`"${m.cid.slice(0, 100)}" is not a CID.`, { cause: err })
  }
  return typeof m.name === 'string' && m.name !== '' ? { cid, name: m.name.slice(0, 255) } : { cid }
}

function describe (peer: PeerId | Multiaddr): string {
  return peer.toString()
}

/**
 * Asks `peer` (a connected peer, or an address to dial) to pin `cid`, and waits for the outcome.
 * The DAG must be complete locally: the peer fetches it from here over bitswap, so stay connected
 * until this resolves.
 */
export async function requestPeerPin (libp2p: Pick<Libp2p, 'dialProtocol'>, peer: PeerId | Multiaddr, cid: CID, options: PeerPinOptions = {}): Promise<PeerPinResult> {
  const who = describe(peer)
  const { signal } = options
  const aborted = (): boolean => signal?.aborted === true
  if (aborted()) throw new AbortError(`Asking ${who} to pin ${cid} was cancelled.`, { cause: signal?.reason })
  let stream: Stream
  try {
    stream = await libp2p.dialProtocol(peer, PIN_PROTOCOL, { signal, runOnLimitedConnection: true })
  } catch (err) {
    if (aborted()) throw new AbortError(`Asking ${who} to pin ${cid} was cancelled.`, { cause: err })
    if ((err as Error).name === 'UnsupportedProtocolError') {
      throw new PeerPinRefusedError(`Peer ${who} does not accept pin requests (it does not speak ${PIN_PROTOCOL}). Push to another peer or to a pinning service.`, { cause: err })
    }
    throw new PeerPinUnreachableError(`Could not reach peer ${who} to ask it to pin: ${(err as Error).message}. Check that it is still connected on the Node page, then push again.`, { cause: err })
  }
  const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
  const request: PeerPinRequest = { type: 'pin', cid: cid.toString(), ...(options.name !== undefined ? { name: options.name } : {}) }
  try {
    await lp.write(encode(request), { signal })
    for (;;) {
      let bytes: Uint8Array
      try {
        bytes = (await lp.read({ signal })).subarray()
      } catch (err) {
        if (aborted() || isAbortError(err)) throw err
        throw new PeerPinUnreachableError(`Peer ${who} stopped answering before ${cid} was pinned (${(err as Error).message}). Check the connection and push again; blocks it already fetched are not fetched twice.`, { cause: err })
      }
      const status = decodePeerPinStatus(bytes)
      switch (status.status) {
        case 'queued':
          emit(options, 'push:peer-pin:queued', { peer: who, cid })
          break
        case 'pinning':
          emit(options, 'push:peer-pin:pinning', { peer: who, cid, blocks: status.blocks, bytes: status.bytes, fetchedBlocks: status.fetchedBlocks, fetchedBytes: status.fetchedBytes })
          break
        case 'pinned':
          emit(options, 'push:peer-pin:pinned', { peer: who, cid, blocks: status.blocks, fetchedBlocks: status.fetchedBlocks, fetchedBytes: status.fetchedBytes })
          await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => {})
          return { cid, peer: who, blocks: status.blocks, fetchedBlocks: status.fetchedBlocks, fetchedBytes: status.fetchedBytes }
        case 'failed':
          throw new PeerPinFailedError(`Peer ${who} could not pin ${cid}: ${status.reason}`)
        case 'refused':
          throw new PeerPinRefusedError(`Peer ${who} declined to pin ${cid}: ${status.reason}`)
      }
    }
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (aborted()) throw new AbortError(`Asking ${who} to pin ${cid} was cancelled.`, { cause: signal?.reason })
    throw err
  }
}

/**
 * Asks `peer` whether it holds `cid` (a status query: nothing is pinned or fetched). Resolves with
 * its report, or `declined` with the reason when it cannot say (a peer older than the query, or
 * one that does not answer queries). Throws like `requestPeerPin` when it cannot be asked.
 */
export async function queryPeerPin (libp2p: Pick<Libp2p, 'dialProtocol'>, peer: PeerId | Multiaddr, cid: CID, options: AbortOptions = {}): Promise<PeerPinReport | { status: 'declined', reason: string }> {
  const who = describe(peer)
  const { signal } = options
  const aborted = (): boolean => signal?.aborted === true
  const cancelled = (cause: unknown): AbortError => new AbortError(`Asking ${who} about ${cid} was cancelled.`, { cause })
  if (aborted()) throw cancelled(signal?.reason)
  let stream: Stream
  try {
    stream = await libp2p.dialProtocol(peer, PIN_PROTOCOL, { signal, runOnLimitedConnection: true })
  } catch (err) {
    if (aborted()) throw cancelled(err)
    if ((err as Error).name === 'UnsupportedProtocolError') return { status: 'declined', reason: `it does not speak ${PIN_PROTOCOL}` }
    throw new PeerPinUnreachableError(`Could not reach peer ${who} to ask about ${cid}: ${(err as Error).message}. Check that it is still connected on the Node page.`, { cause: err })
  }
  const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
  try {
    await lp.write(encode({ type: 'status', cid: cid.toString() }), { signal })
    let bytes: Uint8Array
    try {
      bytes = (await lp.read({ signal })).subarray()
    } catch (err) {
      if (aborted() || isAbortError(err)) throw err
      throw new PeerPinUnreachableError(`Peer ${who} stopped answering before saying whether it holds ${cid} (${(err as Error).message}). Check the connection and ask again.`, { cause: err })
    }
    const answer = decodePeerPinReport(bytes)
    await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => {})
    return answer
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    if (aborted()) throw cancelled(signal?.reason)
    throw err
  }
}

/**
 * Connected peers that advertise the pin protocol (from identify), i.e. that agree to pin. A peer
 * may still decline a particular request.
 */
export async function listPinningPeers (libp2p: Pick<Libp2p, 'getPeers' | 'peerStore'>, options: AbortOptions = {}): Promise<PeerId[]> {
  const out: PeerId[] = []
  for (const peer of libp2p.getPeers()) {
    try {
      const info = await libp2p.peerStore.get(peer, options)
      if (info.protocols.includes(PIN_PROTOCOL)) out.push(peer)
    } catch (err) {
      if (isAbortError(err)) throw err
      // not identified yet: not listed
    }
  }
  return out
}

/** How a pinner answers a status query: what it holds for the CID. */
export type PinStatusHandler = (
  request: { cid: CID, peer: PeerId },
  options: { signal: AbortSignal }
) => Promise<Omit<PeerPinReport, 'status'>>

/**
 * What a pinner does with one request. It reports through `send` and ends with a final status.
 * A handler with a `status` function also answers status queries; without one they are declined.
 */
export type PinRequestHandler = ((
  request: { cid: CID, name?: string, peer: PeerId, connection: Connection },
  send: (status: PeerPinStatus) => void,
  options: { signal: AbortSignal }
) => Promise<void>) & { status?: PinStatusHandler | undefined }

export interface ServePinRequestsOptions {
  /** Requests served at once per connection (more wait in libp2p). Default 4. */
  maxInboundStreams?: number
}

/**
 * Registers the pin protocol on `libp2p`, with `handler` doing the work. Returns a function that
 * unregisters it.
 */
export async function servePinRequests (libp2p: Pick<Libp2p, 'handle' | 'unhandle'>, handler: PinRequestHandler, options: ServePinRequestsOptions = {}): Promise<() => Promise<void>> {
  await libp2p.handle(PIN_PROTOCOL, async (stream, connection) => {
    const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
    const controller = new AbortController()
    stream.addEventListener('close', () => { controller.abort(new Error('The requester closed the stream.')) }, { once: true })
    const send = (status: PeerPinStatus | PeerPinReport): void => {
      if (stream.writeStatus !== 'writable') return
      lp.write(encode(status), { signal: controller.signal }).catch(() => { controller.abort(new Error('Could not write to the requester.')) })
    }
    try {
      let request: ReturnType<typeof decodePeerRequest>
      try {
        request = decodePeerRequest((await lp.read({ signal: AbortSignal.any([controller.signal, AbortSignal.timeout(10_000)]) })).subarray())
      } catch (err) {
        send({ status: 'failed', reason: `Bad request: ${(err as Error).message}` })
        await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => {})
        return
      }
      if (request.type === 'pin') {
        const { type: _, ...pin } = request
        await handler({ ...pin, peer: connection.remotePeer, connection }, send, { signal: controller.signal })
      } else if (request.type === 'status' && handler.status !== undefined) {
        const report = await handler.status({ cid: request.cid, peer: connection.remotePeer }, { signal: controller.signal })
        send({ ...report, status: 'report' })
      } else {
        send({ status: 'refused', reason: request.type === 'status' ? 'This peer does not answer status queries.' : `Unknown request type ${request.what}.` })
      }
      await stream.close({ signal: AbortSignal.timeout(5000) }).catch(() => {})
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: options.maxInboundStreams ?? 4 })
  return async () => { await libp2p.unhandle(PIN_PROTOCOL) }
}
