import { CairnError } from '../../core/errors.js'

/** The trustless gateway does not hold what was asked for (a block, a path segment, a record). */
export class GatewayNotFoundError extends CairnError {
  static override readonly code = 'ERR_GATEWAY_NOT_FOUND'
}

/** A trustless gateway request it cannot answer as asked (a bad CID, parameter or format). */
export class GatewayRequestError extends CairnError {
  static override readonly code = 'ERR_GATEWAY_REQUEST'
}
