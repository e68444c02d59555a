/**
 * A keeper that is an IPFS Pinning Service API service (Pinata, Filebase's PSA endpoint, the
 * local network's `/pinning`, …). Pull mode: the service fetches the DAG from this node over
 * bitswap (`origins`, and this node connects to its `delegates`); Cairn's CAR-upload extension is
 * used only when `carUpload` is allowed and the service advertises it. A PSA holds pins, not IPNS
 * records: `pushRecord` is unsupported (Kubo and peer keepers hold records).
 */
import { isAbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import {
  KeeperAuthError, KeeperError, KeeperUnreachableError, KeeperUnsupportedError,
  PinningServiceAuthError, PinningServiceError, PinningServiceUnreachableError
} from './errors.js'
import { pinToService } from './pin-remote.js'
import { PinningServiceClient } from './pinning-service.js'
import type { Keeper, KeptState, KeptStatus, PushDagOptions } from './keeper.js'
import type { RemotePinStatus } from './pinning-service.js'
import type { AbortOptions } from '../../core/options.js'
import type { CID } from 'multiformats/cid'

export interface PsaKeeperInit {
  /** The name in Settings. */
  name: string
  /** The API base URL (requests go to `<endpoint>/pins`). */
  endpoint: string
  /** The bearer token. */
  token: string
  fetch?: typeof globalThis.fetch | undefined
  /** Connects this node to the service's delegates (e.g. `libp2p.dial` for each). */
  dial?: ((multiaddrs: string[], options?: AbortOptions) => Promise<void>) | undefined
  /** Allow Cairn's CAR-upload extension when the service advertises it. Default false. */
  carUpload?: boolean | undefined
  /** First wait between status checks. Default 1000 ms (it then grows, up to 15 s). */
  pollIntervalMs?: number | undefined
}

/** Turns the pinning-service errors into the keeper errors every kind throws (message kept). */
function asKeeperError (err: unknown): unknown {
  if (err instanceof PinningServiceAuthError) return new KeeperAuthError(err.message, { cause: err })
  if (err instanceof PinningServiceUnreachableError) return new KeeperUnreachableError(err.message, { cause: err })
  if (err instanceof PinningServiceError) return new KeeperError(err.message, { cause: err, status: err.status })
  return err
}

const RANK: Record<RemotePinStatus['status'], number> = { pinned: 3, pinning: 2, queued: 1, failed: 0 }

export class PsaKeeper implements Keeper {
  readonly id: string
  readonly kind = 'psa' as const
  readonly label: string
  readonly holdsRecords = false
  readonly #client: PinningServiceClient
  readonly #init: PsaKeeperInit

  constructor (init: PsaKeeperInit) {
    this.#init = init
    this.#client = new PinningServiceClient({ name: init.name, endpoint: init.endpoint, token: init.token, fetch: init.fetch })
    this.id = `psa:${init.name}`
    this.label = `Pinning service ${init.name}`
  }

  async pushDag (root: CID, options: PushDagOptions): Promise<KeptStatus> {
    try {
      const status = await pinToService(this.#client, root, {
        signal: options.signal,
        name: options.name,
        origins: options.origins,
        blocks: options.blocks,
        carUpload: this.#init.carUpload === true,
        dial: this.#init.dial,
        pollIntervalMs: this.#init.pollIntervalMs,
        onProgress: (evt) => {
          if (evt.type === 'push:pinning-service:upload') emit(options, 'push:keeper:upload', { blocks: evt.detail.blocks, bytes: evt.detail.bytes })
          if (evt.type === 'push:pinning-service:status') emit(options, 'push:keeper:status', { state: evt.detail.status, detail: `request ${evt.detail.requestid}` })
          if (evt.type === 'push:pinning-service:delegates' && !evt.detail.connected) {
            emit(options, 'push:keeper:status', { state: 'queued', detail: `could not connect to the service's peers (${evt.detail.error ?? 'unknown error'}); it may still reach this node` })
          }
        }
      })
      return { state: 'pinned', detail: `request ${status.requestid}` }
    } catch (err) {
      throw asKeeperError(err)
    }
  }

  /** The most advanced request for `root`: pinned if any is, else pinning, queued, failed; none → absent. */
  async status (root: CID, options: AbortOptions = {}): Promise<KeptStatus> {
    try {
      const list = await this.#client.list({ cid: [root.toString()], status: ['queued', 'pinning', 'pinned', 'failed'], limit: 1000 }, options)
      let best: RemotePinStatus | undefined
      for (const r of list.results) {
        if (best === undefined || RANK[r.status] > RANK[best.status] || (RANK[r.status] === RANK[best.status] && r.created > best.created)) best = r
      }
      if (best === undefined) return { state: 'absent' }
      const reason = best.status === 'failed' && best.info?.reason !== undefined ? `: ${best.info.reason}` : ''
      return { state: best.status satisfies KeptState, detail: `request ${best.requestid}${reason}` }
    } catch (err) {
      if (isAbortError(err)) throw err
      throw asKeeperError(err)
    }
  }

  async pushRecord (_name: string, _record: Uint8Array, _options?: AbortOptions): Promise<void> {
    throw new KeeperUnsupportedError(`The pinning service "${this.#init.name}" holds pins, not IPNS records (the Pinning Service API has no way to store them). Keep names alive with a Kubo keeper or a peer keeper instead.`)
  }
}
