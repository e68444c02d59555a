/** The errors of the backups service (re-exported by ../backups-service.ts). */
import { CairnError } from '../../core/errors.js'

export class NoRepositoryOpenError extends CairnError {
  static override readonly code = 'ERR_NO_REPOSITORY_OPEN'
  constructor () { super('No repository is open. Create one, or open one by its IPNS name or root CID and its password.') }
}

export class BackupPasswordError extends CairnError {
  static override readonly code = 'ERR_BACKUP_PASSWORD'
}

export class NothingToBackUpError extends CairnError {
  static override readonly code = 'ERR_NOTHING_TO_BACK_UP'
  constructor () { super('Nothing to back up: pick or drop at least one file or folder.') }
}

export class BackupStorageFullError extends CairnError {
  static override readonly code = 'ERR_BACKUP_STORAGE_FULL'
}

export class RepositoryReopenError extends CairnError {
  static override readonly code = 'ERR_REPOSITORY_REOPEN'
  constructor () { super('The IPFS node restarted (settings changed), so the repository was closed. Open it again.') }
}
