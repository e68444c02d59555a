/** Errors raised by the restic engine. Each names the repository file involved and what to do next. */
import { CairnError } from '../core/errors.js'

/** No key file in `keys/` opens with the given password. */
export class WrongPasswordError extends CairnError {
  static override readonly code = 'ERR_RESTIC_WRONG_PASSWORD'
}

/** A repository file failed its integrity check (MAC, hash, structure). `file` names it. */
export class DamagedFileError extends CairnError {
  static override readonly code = 'ERR_RESTIC_DAMAGED_FILE'
  readonly file: string
  constructor (file: string, what: string, options?: ErrorOptions) {
    super(`damaged repository file ${file}: ${what}. Run \`restic check --read-data\` (or \`cairn restic check --read-data\`) to see the extent of the damage; restore from an intact copy or run prune after repairing.`, options)
    this.file = file
  }
}

/** A file the index or a snapshot refers to does not exist in the repository. */
export class MissingFileError extends CairnError {
  static override readonly code = 'ERR_RESTIC_MISSING_FILE'
  readonly file: string
  constructor (file: string, why: string, options?: ErrorOptions) {
    super(`repository file ${file} is missing (${why}). The repository is damaged; run \`cairn restic check\` to list what is affected.`, options)
    this.file = file
  }
}

/** There is no repository at the location, or it is not a restic repository. */
export class RepositoryNotFoundError extends CairnError {
  static override readonly code = 'ERR_RESTIC_NO_REPOSITORY'
}

/** A repository already exists where `init` was asked to create one. */
export class RepositoryExistsError extends CairnError {
  static override readonly code = 'ERR_RESTIC_REPOSITORY_EXISTS'
}

/** The repository uses a feature or version this implementation does not support. */
export class UnsupportedRepositoryError extends CairnError {
  static override readonly code = 'ERR_RESTIC_UNSUPPORTED'
}

/** A snapshot ID, prefix or `latest` did not match (or matched several). */
export class SnapshotNotFoundError extends CairnError {
  static override readonly code = 'ERR_RESTIC_SNAPSHOT_NOT_FOUND'
}

/** A blob needed by a tree is not in any index. */
export class BlobNotFoundError extends CairnError {
  static override readonly code = 'ERR_RESTIC_BLOB_NOT_FOUND'
}

/** A path inside a snapshot does not exist. */
export class PathNotFoundError extends CairnError {
  static override readonly code = 'ERR_RESTIC_PATH_NOT_FOUND'
}

/** Another process holds a conflicting lock on the repository. */
export class RepositoryLockedError extends CairnError {
  static override readonly code = 'ERR_RESTIC_LOCKED'
}

/** A backend request failed (I/O or HTTP). */
export class BackendError extends CairnError {
  static override readonly code: string = 'ERR_RESTIC_BACKEND'
}

/** The requested object is not in the backend. */
export class NotFoundError extends BackendError {
  static override readonly code = 'ERR_RESTIC_NOT_FOUND'
}

/** `check` found problems; the message summarises them. */
export class CheckFailedError extends CairnError {
  static override readonly code = 'ERR_RESTIC_CHECK_FAILED'
}

/** Restore finished but some files could not be restored; they are listed. */
export class RestoreIncompleteError extends CairnError {
  static override readonly code = 'ERR_RESTIC_RESTORE_INCOMPLETE'
  /** What failed: the path in the snapshot, the message, and the error's code when it had one. */
  readonly errors: ReadonlyArray<{ path: string, message: string, code?: string | undefined }>
  constructor (message: string, errors: ReadonlyArray<{ path: string, message: string, code?: string | undefined }> = [], options?: ErrorOptions) {
    super(message, options)
    this.errors = errors
  }
}

/**
 * Something in the restore target stands where a directory is needed: a symbolic link (a restore
 * never writes through one, not even one it restored itself) or a file. `path` is in the snapshot.
 */
export class RestoreTargetError extends CairnError {
  static override readonly code = 'ERR_RESTIC_RESTORE_TARGET'
  readonly path: string
  constructor (path: string, what: string, options?: ErrorOptions) {
    super(`${path} is ${what} in the restore target, so nothing below it was restored (a restore never follows a symbolic link). Remove it, or restore into an empty folder.`, options)
    this.path = path
  }
}

/**
 * A repository file name that is not a restic ID (64 lowercase hex digits), so it cannot become a
 * path or URL: listings skip such names, and using one is refused.
 */
export class InvalidFileNameError extends BackendError {
  static override readonly code = 'ERR_RESTIC_INVALID_FILE_NAME'
  constructor (h: { type: string, name: string }, options?: ErrorOptions) {
    super(`${JSON.stringify(h.name)} is not a restic file name in ${h.type}/ (64 hex digits expected). A repository never holds such a file: it was crafted or damaged; run \`cairn restic check\`.`, options)
  }
}

/**
 * The repository lock this operation held vanished or was overridden while it ran (`restic unlock`
 * by someone who took it for stale, or another client). Nothing more was written: a backup saved
 * no snapshot, a prune deleted nothing more.
 */
export class LockLostError extends CairnError {
  static override readonly code = 'ERR_RESTIC_LOCK_LOST'
}

/** A FIFO or device node could not be created (no permission, a missing tool); the rest is restored. */
export class SpecialFileError extends CairnError {
  static override readonly code = 'ERR_RESTIC_SPECIAL_FILE'
  readonly path: string
  constructor (path: string, why: string, options?: ErrorOptions) {
    super(`${path} was not created: ${why}. Everything else was restored. Device nodes need root (run the restore as root); FIFOs need mkfifo.`, options)
    this.path = path
  }
}
