import { CairnError } from '../../core/errors.js'

/** The local network could not start (a port is taken, the host is not local, …). */
export class NetworkStartError extends CairnError {
  static override readonly code = 'ERR_NETWORK_START'
}

/** The key file given for a stable peer id is unreadable or holds no libp2p private key. */
export class KeyFileError extends CairnError {
  static override readonly code = 'ERR_KEY_FILE'
}

/** The local router was asked to store a value it does not keep (anything but an IPNS record). */
export class UnsupportedRecordError extends CairnError {
  static override readonly code = 'ERR_UNSUPPORTED_RECORD'
}

/** A record pushed over libp2p lost to the one already held (the name would roll back). */
export class RecordRefusedError extends CairnError {
  static override readonly code = 'ERR_RECORD_REFUSED'
}

/** An origin given for the CORS allow-list is not `http(s)://host[:port]`. */
export class InvalidOriginError extends CairnError {
  static override readonly code = 'ERR_INVALID_ORIGIN'
}

/** The local network's folder under the Cairn home is foreign, corrupt, newer, or in use. */
export class NetworkStoreError extends CairnError {
  static override readonly code = 'ERR_NETWORK_STORE'
}
