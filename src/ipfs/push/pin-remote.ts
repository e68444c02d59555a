/**
 * Pushing a DAG to an IPFS Pinning Service API service with `PinningServiceClient`.
 *
 * Pull mode is the default, as real services (Pinata, Filebase, …) work: `POST /pins` with this
 * node's multiaddrs as `origins`, then connect to the `delegates` the service returns (`dial`) so
 * its peers can fetch the blocks over bitswap, and poll the status until pinned or failed.
 *
 * Cairn's CAR-upload extension (`GET /capabilities`, `POST /car`) is taken only when the caller
 * allows it (`carUpload: true`, with `blocks`) AND the service advertises it: the DAG then goes
 * up as small self-contained CARs (one in memory at a time: Chromium cannot stream a request
 * body over HTTP/1.1) before the pin is asked for, so the service finds every block there.
 */
import { AbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { exportCar } from '../car/car.js'
import { RemotePinFailedError } from './errors.js'
import type { PinningServiceClient, RemotePinState, RemotePinStatus } from './pinning-service.js'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { ReadableStore } from '../car/walk.js'
import type { CID } from 'multiformats/cid'

export type PinToServiceEvents =
  | ProgressEvent<'push:pinning-service:upload', { service: string, cid: CID, blocks: number, bytes: number }>
  | ProgressEvent<'push:pinning-service:status', { service: string, cid: CID, requestid: string, status: RemotePinState }>
  | ProgressEvent<'push:pinning-service:delegates', { service: string, cid: CID, delegates: string[], connected: boolean, error?: string | undefined }>

export interface UploadDagOptions extends OperationOptions<PinToServiceEvents> {
  /** Largest CAR per request (the service's `maxBytes`). */
  maxBytes: number
}

/**
 * Sends the DAG under `root`, read from `blocks` (the local store), as CARs of at most `maxBytes`
 * each: one part in memory at a time. A single block larger than a part is left for the service
 * to fetch.
 */
export async function uploadDag (client: PinningServiceClient, blocks: ReadableStore, root: CID, options: UploadDagOptions): Promise<{ blocks: number, bytes: number }> {
  const sent = { blocks: 0, bytes: 0 }
  let header: Uint8Array | undefined
  let parts: Uint8Array[] = []
  let partBytes = 0
  let partBlocks = 0
  const flush = async (): Promise<void> => {
    if (header === undefined || partBlocks === 0) return
    const car = new Uint8Array(header.byteLength + partBytes)
    car.set(header)
    let at = header.byteLength
    for (const p of parts) { car.set(p, at); at += p.byteLength }
    parts = []
    partBytes = 0
    const count = partBlocks
    partBlocks = 0
    await client.uploadCar(car, { signal: options.signal })
    sent.blocks += count
    sent.bytes += car.byteLength
    emit(options, 'push:pinning-service:upload', { service: client.name, cid: root, blocks: sent.blocks, bytes: sent.bytes })
  }
  for await (const chunk of exportCar(blocks, root, { signal: options.signal })) {
    if (header === undefined) {
      header = chunk
      continue
    }
    if (header.byteLength + chunk.byteLength > options.maxBytes) continue // the service fetches it
    if (header.byteLength + partBytes + chunk.byteLength > options.maxBytes) await flush()
    parts.push(chunk)
    partBytes += chunk.byteLength
    partBlocks++
  }
  await flush()
  return sent
}

export interface PinToServiceOptions extends OperationOptions<PinToServiceEvents> {
  name?: string | undefined
  /** Multiaddrs of peers holding the DAG (this node's own addresses, say): the service dials them. */
  origins?: string[] | undefined
  meta?: Record<string, string> | undefined
  /**
   * Connects this node to the service's `delegates` once the pin is requested, so they can fetch
   * the blocks over bitswap even when they cannot dial `origins` (a browser tab cannot be dialled).
   * A failure is reported as progress, not thrown: the service may still reach an origin.
   */
  dial?: ((multiaddrs: string[], options?: AbortOptions) => Promise<void>) | undefined
  /**
   * Allow Cairn's CAR-upload extension: when true, `blocks` is given and the service advertises
   * `carUpload` at `GET /capabilities`, the DAG is uploaded before the pin is requested.
   * Default false: the service pulls.
   */
  carUpload?: boolean | undefined
  /** The local store holding the DAG (for `carUpload`). */
  blocks?: ReadableStore | undefined
  /** First wait between status checks. Default 1000 ms; each wait is 1.5 times the last. */
  pollIntervalMs?: number | undefined
  /** Longest wait between status checks. Default 15 s. */
  maxPollIntervalMs?: number | undefined
}

async function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Pins `cid` on a pinning service and waits until it is pinned: reuses a request for the same CID
 * that is already queued, pinning or pinned; otherwise uploads the DAG first when allowed and
 * advertised (see `carUpload`), requests the pin with `origins`, connects to the delegates, and
 * polls the status with a growing (bounded) interval. Cancelling stops the waiting; the service
 * keeps the request (remove it with `client.remove`).
 */
export async function pinToService (client: PinningServiceClient, cid: CID, options: PinToServiceOptions = {}): Promise<RemotePinStatus> {
  const { signal } = options
  const cancelled = (err: unknown): AbortError => new AbortError(`Pushing ${cid} to pinning service "${client.name}" was cancelled. The service may still pin it.`, { cause: err })
  try {
    const existing = await client.list({ cid: [cid.toString()], status: ['queued', 'pinning', 'pinned'], limit: 1000 }, { signal })
    let status = existing.results.find(r => r.status === 'pinned') ?? existing.results[0]
    if (status === undefined) {
      if (options.carUpload === true && options.blocks !== undefined) {
        const caps = await client.capabilities({ signal })
        if (caps.carUpload !== undefined) {
          await uploadDag(client, options.blocks, cid, { maxBytes: caps.carUpload.maxBytes, signal, onProgress: options.onProgress })
        }
      }
      status = await client.add({
        cid: cid.toString(),
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.origins !== undefined && options.origins.length > 0 ? { origins: options.origins.slice(0, 20) } : {}),
        ...(options.meta !== undefined ? { meta: options.meta } : {})
      }, { signal })
    }
    if (status.status !== 'pinned' && options.dial !== undefined && status.delegates.length > 0) {
      const delegates = status.delegates.slice(0, 20)
      try {
        await options.dial(delegates, { signal })
        emit(options, 'push:pinning-service:delegates', { service: client.name, cid, delegates, connected: true })
      } catch (err) {
        signal?.throwIfAborted()
        emit(options, 'push:pinning-service:delegates', { service: client.name, cid, delegates, connected: false, error: (err as Error).message })
      }
    }
    let last: RemotePinState | undefined
    let wait = Math.max(10, options.pollIntervalMs ?? 1000)
    const maxWait = Math.max(wait, options.maxPollIntervalMs ?? 15_000)
    for (;;) {
      if (status.status !== last) {
        emit(options, 'push:pinning-service:status', { service: client.name, cid, requestid: status.requestid, status: status.status })
        last = status.status
      }
      if (status.status === 'pinned') return status
      if (status.status === 'failed') {
        const why = Object.entries(status.info ?? {}).map(([k, v]) => `${k}: ${v}`).join('; ')
        throw new RemotePinFailedError(`The pinning service "${client.name}" could not pin ${cid}${why !== '' ? ` (${why})` : ''}. Check that a peer holding the data is reachable by the service (keep this page open and connected), then push again.`)
      }
      await sleep(wait, signal)
      wait = Math.min(maxWait, Math.round(wait * 1.5))
      status = await client.get(status.requestid, { signal })
    }
  } catch (err) {
    if (signal?.aborted === true && !(err instanceof AbortError)) throw cancelled(err)
    throw err
  }
}
