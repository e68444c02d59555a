import { CairnError } from '../../core/errors.js'

/** A block of the DAG is not in the local store. */
export class MissingBlockError extends CairnError<{ cid: string }> {
  static override readonly code = 'ERR_MISSING_BLOCK'
  declare readonly cid: string
}

/** A block uses a codec Cairn cannot read links from. */
export class UnsupportedCodecError extends CairnError {
  static override readonly code = 'ERR_UNSUPPORTED_CODEC'
}

/** The CAR stream ends before its header or a block is complete. */
export class TruncatedCarError extends CairnError<{ offset: number }> {
  static override readonly code = 'ERR_TRUNCATED_CAR'
  declare readonly offset: number
}

/** The CAR bytes are not a valid CAR (bad header, bad varint, bad CID…). */
export class InvalidCarError extends CairnError<{ offset: number }> {
  static override readonly code = 'ERR_INVALID_CAR'
  declare readonly offset: number
}

/** A block's bytes do not hash to its CID. */
export class BadBlockError extends CairnError<{ cid: string, offset: number }> {
  static override readonly code = 'ERR_BAD_BLOCK'
  declare readonly cid: string
  declare readonly offset: number
}
