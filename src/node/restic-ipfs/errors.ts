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
