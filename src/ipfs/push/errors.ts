import { CairnError } from '../../core/errors.js'

/** The peer does not accept pin requests: it does not speak the protocol, or it said no. */
export class PeerPinRefusedError extends CairnError {
  static override readonly code = 'ERR_PEER_PIN_REFUSED'
}

/** The peer accepted the pin request but could not pin (it could not fetch a block, …). */
export class PeerPinFailedError extends CairnError {
  static override readonly code = 'ERR_PEER_PIN_FAILED'
}

/** The peer could not be reached, or the conversation broke off before an answer. */
export class PeerPinUnreachableError extends CairnError {
  static override readonly code = 'ERR_PEER_PIN_UNREACHABLE'
}

/** The peer answered something that is not the pin protocol. */
export class PeerPinProtocolError extends CairnError {
  static override readonly code = 'ERR_PEER_PIN_PROTOCOL'
}

/** The pinning service refused the access token (HTTP 401 or 403). */
export class PinningServiceAuthError extends CairnError {
  static override readonly code = 'ERR_PINNING_SERVICE_AUTH'
}

/** The pinning service could not be reached at all (DNS, connection refused, CORS, offline). */
export class PinningServiceUnreachableError extends CairnError {
  static override readonly code = 'ERR_PINNING_SERVICE_UNREACHABLE'
}

/** The pinning service answered with an error, or with something that is not the Pinning Service API. */
export class PinningServiceError extends CairnError<{ status?: number | undefined }> {
  static override readonly code = 'ERR_PINNING_SERVICE'
  /** The HTTP status, when there was a response. */
  declare readonly status: number | undefined
}

/** The pinning service accepted the pin and later reported it `failed`. */
export class RemotePinFailedError extends CairnError {
  static override readonly code = 'ERR_REMOTE_PIN_FAILED'
}

/** A file on the mirror target differs from the source (another repository, or a damaged copy). */
export class MirrorConflictError extends CairnError {
  static override readonly code = 'ERR_MIRROR_CONFLICT'
}

/** A keeper (Kubo, Cluster, pinning service, bucket, peer) refused the credentials (HTTP 401/403). */
export class KeeperAuthError extends CairnError {
  static override readonly code = 'ERR_KEEPER_AUTH'
}

/** A keeper could not be reached at all (DNS, connection refused, CORS, offline). */
export class KeeperUnreachableError extends CairnError {
  static override readonly code = 'ERR_KEEPER_UNREACHABLE'
}

/** A keeper answered with an error, or with something that is not the API it was configured as. */
export class KeeperError extends CairnError<{ status?: number | undefined }> {
  static override readonly code = 'ERR_KEEPER'
  /** The HTTP status, when there was a response. */
  declare readonly status: number | undefined
}

/** The keeper's kind cannot do what was asked (e.g. hold an IPNS record). */
export class KeeperUnsupportedError extends CairnError {
  static override readonly code = 'ERR_KEEPER_UNSUPPORTED'
}
