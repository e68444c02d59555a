/** Errors raised by the IPFS restic backend. Each message says what to do next. */
import { CairnError } from '../../core/errors.js'

/** The repository's IPNS name could not be resolved to a root (no valid record anywhere). */
export class RepoNameUnresolvableError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_NAME_UNRESOLVABLE'
}

/** The name resolved, but not to an `/ipfs/<cid>` path this backend can open. */
export class RepoNameValueError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_NAME_VALUE'
}

/** The repository's root block could not be fetched from the local store or any connected peer. */
export class RepoRootUnreachableError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_ROOT_UNREACHABLE'
}

/** The root (or one of its directories) is not a UnixFS directory laid out like a restic repository. */
export class NotARepoDirectoryError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_NOT_A_REPOSITORY'
}

/** A block of a repository file could not be fetched. */
export class RepoBlockUnreachableError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_BLOCK_UNREACHABLE'
}

/** Publishing the repository's new root under its IPNS name failed; the root itself is pinned. */
export class RepoPublishError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_PUBLISH'
}

/**
 * The new root is pinned only on this node: `beforePublish` could not hand it to a keeper, so the
 * name was not moved to it (it still points at the previous root).
 */
export class RepoNotKeptError extends CairnError<{ root: string }> {
  static override readonly code = 'ERR_RESTIC_IPFS_NOT_KEPT'
  declare readonly root: string
}

/** The backend was used after `close()`. */
export class BackendClosedError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_CLOSED'
}

/** The backend has no IPNS key, so it cannot publish. */
export class NoRepoKeyError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_NO_KEY'
}

/** Writing needs the name's key, and this device has none (no local key, no unlocked key file). */
export class RepoReadOnlyError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_READ_ONLY'
}

/** The repository's `cairn-ipns-key` file does not open with its master key, or is malformed. */
export class RepoKeyFileError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_KEY_FILE'
}

/** The repository's key file holds the key of another name than the one being opened. */
export class RepoKeyMismatchError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_KEY_MISMATCH'
}

/** Two roots of one name hold different `config` files: they are different repositories. */
export class RepoConfigConflictError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_CONFIG_CONFLICT'
}

/** The name kept moving while publishing: every merge-and-publish attempt lost a race. */
export class RepoPublishConflictError extends CairnError {
  static override readonly code = 'ERR_RESTIC_IPFS_PUBLISH_CONFLICT'
}
