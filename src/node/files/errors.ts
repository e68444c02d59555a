import { CairnError } from '../../core/errors.js'

/** A path given to add cannot be read (missing, no permission…); the message names it. */
export class UnreadableFileError extends CairnError<{ path: string }> {
  static override readonly code = 'ERR_UNREADABLE_FILE'
  declare readonly path: string
}

/** A path is a socket, FIFO or device, which UnixFS cannot hold. */
export class UnsupportedFileTypeError extends CairnError {
  static override readonly code = 'ERR_UNSUPPORTED_FILE_TYPE'
}

/** The local store directory cannot be opened or created. */
export class RepoError extends CairnError {
  static override readonly code = 'ERR_REPO'
}

/** None of the paths given to a backup exists (restic: "all target directories/files do not exist"). */
export class NoBackupTargetError extends CairnError {
  static override readonly code = 'ERR_NO_BACKUP_TARGET'
}

/** A file or folder the command reads or writes failed at the system level (permissions, read-only, missing folder…). */
export class FileSystemError extends CairnError {
  static override readonly code = 'ERR_FILE_SYSTEM'
}
