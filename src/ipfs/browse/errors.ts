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

/** An archive was saved without entries whose names cannot be archive entries; they are listed. */
export class ArchiveIncompleteError extends CairnError {
  static override readonly code = 'ERR_ARCHIVE_INCOMPLETE'
  readonly refused: ReadonlyArray<{ path: string, message: string }>
  constructor (archive: string, refused: ReadonlyArray<{ path: string, message: string }>, options?: ErrorOptions) {
    super(`${archive} was saved without ${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} whose names would have pointed outside it (everything else is in it):\n` + refused.map(r => `  ${r.message}`).join('\n'), options)
    this.refused = refused
  }
}
