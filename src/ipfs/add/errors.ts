import { CairnError } from '../../core/errors.js'

/** The profile name is not one of the IPIP-499 profiles Cairn knows. */
export class UnknownProfileError extends CairnError {
  static override readonly code = 'ERR_UNKNOWN_PROFILE'
}

/** An entry handed to `addAll` cannot be imported as given (bad path, clashing names…). */
export class InvalidAddEntryError extends CairnError {
  static override readonly code = 'ERR_INVALID_ADD_ENTRY'
}

/** Reading an entry's content failed part-way; the message names the entry. */
export class AddReadError extends CairnError {
  static override readonly code = 'ERR_ADD_READ'
}
