/**
 * Errors raised while retrieving content. Each names the CID and the source that failed, and says
 * what to do.
 */
import { CairnError } from '../../core/errors.js'

/** Why one gateway could not supply a block. */
export interface GatewayFailure {
  gateway: string
  /** `tampered`: the bytes did not hash to the CID; `unreachable`: no HTTP answer; `status`: a non-200 answer; `timeout`; `invalid`: the answer was unusable. */
  kind: 'tampered' | 'unreachable' | 'status' | 'timeout' | 'invalid'
  message: string
}

function describe (failures: readonly GatewayFailure[]): string {
  return failures.map(f => `${f.gateway}: ${f.message}`).join('; ')
}

/**
 * A gateway sent bytes whose hash does not match the CID, and no other source had the block. The
 * bytes were discarded.
 */
export class TamperedContentError extends CairnError {
  static override readonly code = 'ERR_TAMPERED_CONTENT'
  readonly cid: string
  /** The first gateway that sent wrong bytes. */
  readonly gateway: string
  readonly failures: readonly GatewayFailure[]

  constructor (cid: string, failures: readonly GatewayFailure[], options?: ErrorOptions) {
    const tampered = failures.filter(f => f.kind === 'tampered').map(f => f.gateway)
    super(`The gateway ${tampered.join(' and ')} sent bytes for ${cid} that do not match its hash, so they were rejected and nothing was shown. ` +
      `Remove or replace that gateway in Settings, or fetch the content from a peer that has it. (${describe(failures)})`, options)
    this.cid = cid
    this.gateway = tampered[0] ?? ''
    this.failures = failures
  }
}

/** No local block, no peer and no gateway could supply a block. */
export class AllGatewaysFailedError extends CairnError {
  static override readonly code = 'ERR_ALL_GATEWAYS_FAILED'
  readonly cid: string
  readonly failures: readonly GatewayFailure[]

  constructor (cid: string, failures: readonly GatewayFailure[], options?: ErrorOptions) {
    super(failures.length === 0
      ? `${cid} is not stored here, no connected peer sent it, and no trustless gateway is configured. Add a gateway in Settings, or connect to a peer that has it.`
      : failures.every(f => f.kind === 'status' && /^answered (404|410)\b/.test(f.message))
        ? `${cid} was not found on any peer or gateway (${describe(failures)}). Check the CID, or connect to a peer that has it.`
        : `${cid} is not stored here, no connected peer sent it, and every gateway failed: ${describe(failures)}. Check the gateways in Settings and the network connection, or try again later.`, options)
    this.cid = cid
    this.failures = failures
  }
}

/** The block is not stored locally and the request was made offline (e.g. by the service worker). */
export class NotAvailableOfflineError extends CairnError {
  static override readonly code = 'ERR_NOT_AVAILABLE_OFFLINE'
  readonly cid: string
  constructor (cid: string, options?: ErrorOptions) {
    super(`${cid} is not stored on this device, and it can only be read from local blocks now. Pin it while online to open it offline.`, options)
    this.cid = cid
  }
}

/** The CID uses a hash function Cairn cannot verify, so bytes from a gateway cannot be trusted. */
export class UnsupportedHashError extends CairnError {
  static override readonly code = 'ERR_UNSUPPORTED_HASH'
}

/** The path does not exist inside the content's DAG. */
export class ContentPathNotFoundError extends CairnError {
  static override readonly code = 'ERR_CONTENT_PATH_NOT_FOUND'
}

/** Retrieval failed in a way not covered above (the message carries the gateway's answer). */
export class FetchFailedError extends CairnError<{ status: number }> {
  static override readonly code = 'ERR_FETCH_FAILED'
  declare readonly status: number
}

/** The address is not `ipfs://…`, `ipns://…`, `/ipfs/…` or `/ipns/…`. */
export class InvalidContentPathError extends CairnError {
  static override readonly code = 'ERR_INVALID_CONTENT_PATH'
}
