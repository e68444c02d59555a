/**
 * `key passwd`: change the password of the key the repository was opened with, as restic 0.14
 * does: add a key for the new password, check that it opens the repository, then remove the old
 * key; under an exclusive lock. If the new key does not open the repository it is removed again
 * and the old password keeps working.
 */
import type { OperationOptions } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { CairnError } from '../../core/errors.js'
import type { ScryptParams } from '../crypto/kdf.js'
import { openKeyFile } from '../repofile/key-file.js'
import type { KeyFile } from '../repofile/key-file.js'
import type { Repository } from '../repository/repository.js'
import { lockRepository } from '../repository/lock.js'
import { fromUtf8 } from '../util/bytes.js'

/** The new key did not open the repository; it was removed and the old password still works. */
export class KeyVerificationError extends CairnError {
  static override readonly code = 'ERR_RESTIC_KEY_VERIFICATION'
}

export type KeyPasswdProgressEvents =
  | { type: 'restic:key:added', detail: { id: string } }
  | { type: 'restic:key:removed', detail: { id: string } }

export interface KeyPasswdOptions extends OperationOptions<KeyPasswdProgressEvents> {
  scrypt?: ScryptParams | undefined
  hostname?: string | undefined
  username?: string | undefined
}

/** Returns the new key's ID and the removed one's. */
export async function changePassword (repo: Repository, newPassword: string, options: KeyPasswdOptions = {}): Promise<{ id: string, oldId: string }> {
  const lock = await lockRepository(repo, { exclusive: true }, options)
  try {
    const id = await repo.addKey(newPassword, { scrypt: options.scrypt, hostname: options.hostname, username: options.username, signal: options.signal })
    emit(options, 'restic:key:added', { id })
    try {
      const kf = JSON.parse(fromUtf8(await repo.backend.read({ type: 'keys', name: id }, undefined, options))) as KeyFile
      const master = await openKeyFile(kf, newPassword)
      if (JSON.stringify(master.toJSON()) !== JSON.stringify(repo.key.toJSON())) throw new Error('it holds another master key')
    } catch (err) {
      await repo.backend.remove({ type: 'keys', name: id }).catch(() => {})
      throw new KeyVerificationError(`the new key ${id.slice(0, 8)} does not open the repository (${(err as Error).message}); it was removed and the old password still works. Try again, and run \`cairn restic check\`.`, { cause: err })
    }
    await lock.check(options)
    await repo.backend.remove({ type: 'keys', name: repo.keyId }, options)
    emit(options, 'restic:key:removed', { id: repo.keyId })
    return { id, oldId: repo.keyId }
  } finally {
    await lock.release()
  }
}
