/** Errors of backup/restore options and of copy, repair, rewrite and recover. Each says what to do. */
import { CairnError } from '../core/errors.js'

/** A path pattern (`--exclude`, `--include`, an exclude file) is malformed. */
export class InvalidPatternError extends CairnError {
  static override readonly code = 'ERR_RESTIC_INVALID_PATTERN'
  constructor (patterns: string, flagName?: string, options?: ErrorOptions) {
    super(flagName === 'path'
      ? 'an empty path cannot be matched against patterns: give a path.'
      : `invalid pattern(s)${flagName !== undefined ? ` for --${flagName}` : ''}: ${patterns}. Patterns use filepath.Match syntax (*, ?, [a-z], \\x) per path component plus ** for any depth; close every [ and escape a trailing \\.`, options)
  }
}

/** Restored files differ from the snapshot (`restore --verify`). */
export class RestoreVerifyError extends CairnError {
  static override readonly code = 'ERR_RESTIC_RESTORE_VERIFY'
  readonly files: string[]
  constructor (files: string[], options?: ErrorOptions) {
    super(`${files.length} restored file(s) do not match the snapshot: ${files.slice(0, 10).join(', ')}${files.length > 10 ? ', …' : ''}. The disk or the repository is damaged: run \`cairn restic check --read-data\`, then restore these files again.`, options)
    this.files = files
  }
}

/** The two repositories of a `copy` cannot exchange blobs (different chunker polynomials are fine, other reasons are named). */
export class CopyError extends CairnError {
  static override readonly code = 'ERR_RESTIC_COPY'
}

/** A repair could not complete; the message says what was left as it was. */
export class RepairError extends CairnError {
  static override readonly code = 'ERR_RESTIC_REPAIR'
}
