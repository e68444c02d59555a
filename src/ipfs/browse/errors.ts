import { CairnError } from '../../core/errors.js'

/** The text is not a CID or IPFS path. */
export class InvalidAddressError extends CairnError {
  static override readonly code = 'ERR_INVALID_ADDRESS'
}

/** No connected peer (or gateway) delivered the content before the timeout. */
export class ContentNotFoundError extends CairnError {
  static override readonly code = 'ERR_CONTENT_NOT_FOUND'
}

/** A path inside a DAG does not exist. */
export class PathNotFoundError extends CairnError {
  static override readonly code = 'ERR_PATH_NOT_FOUND'
}
