import { CairnError } from '../../core/errors.js'

/** A block of the DAG is not in the local store. */
export class MissingBlockError extends CairnError {
  static override readonly code = 'ERR_MISSING_BLOCK'
  readonly cid: string
  constructor (message: string, cid: string, options?: ErrorOptions) {
    super(message, options)
    this.cid = cid
  }
}

/** A block uses a codec Cairn cannot read links from. */
export class UnsupportedCodecError extends CairnError {
  static override readonly code = 'ERR_UNSUPPORTED_CODEC'
}

/** The CAR stream ends before its header or a block is complete. */
export class TruncatedCarError extends CairnError {
  static override readonly code = 'ERR_TRUNCATED_CAR'
  readonly offset: number
  constructor (message: string, offset: number, options?: ErrorOptions) {
    super(message, options)
    this.offset = offset
  }
}

/** The CAR bytes are not a valid CAR (bad header, bad varint, bad CID…). */
export class InvalidCarError extends CairnError {
  static override readonly code = 'ERR_INVALID_CAR'
  readonly offset: number
  constructor (message: string, offset: number, options?: ErrorOptions) {
    super(message, options)
    this.offset = offset
  }
}

/** A block's bytes do not hash to its CID. */
export class BadBlockError extends CairnError {
  static override readonly code = 'ERR_BAD_BLOCK'
  readonly cid: string
  readonly offset: number
  constructor (message: string, cid: string, offset: number, options?: ErrorOptions) {
    super(message, options)
    this.cid = cid
    this.offset = offset
  }
}
