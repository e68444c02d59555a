import { CairnError } from '../../core/errors.js'

/** Unpin was asked for a CID that has no pin. */
export class NotPinnedError extends CairnError {
  static override readonly code = 'ERR_NOT_PINNED'
}

/** Pinning needed a block that is not in the local store. */
export class PinBlockMissingError extends CairnError {
  static override readonly code = 'ERR_PIN_BLOCK_MISSING'
}
