/** Errors of the Node helpers for restic repositories on IPFS. */
import { CairnError } from '../../core/errors.js'

/** The export target is not a new or empty directory, or the written copy is inconsistent. */
export class ExportTargetError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_EXPORT_TARGET'
}

/** None of the given peers could be dialled. */
export class NetworkUnreachableError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_NETWORK_UNREACHABLE'
}

/** An ipns:// repository would be published with no keeper holding its blocks (no --peer, no --no-keeper). */
export class NoKeeperError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_NO_KEEPER'
}

/** No --peer keeper confirmed it pinned the new root (each one's reason is in the message). */
export class KeeperHandoffError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_HANDOFF'
}
