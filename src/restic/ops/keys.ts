/** `key list|add|remove`. */
import type { AbortOptions } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import type { ScryptParams } from '../crypto/kdf.js'
import type { KeyFile } from '../repofile/key-file.js'
import type { Repository } from '../repository/repository.js'
import { fromUtf8 } from '../util/bytes.js'

export interface KeyInfo {
  id: string
  current: boolean
  username: string
  hostname: string
  created: string
}

export async function listKeys (repo: Repository, options?: AbortOptions): Promise<KeyInfo[]> {
  const out: KeyInfo[] = []
  for (const f of await repo.backend.list('keys', options)) {
    let kf: Partial<KeyFile> = {}
    try { kf = JSON.parse(fromUtf8(await repo.backend.read({ type: 'keys', name: f.name }, undefined, options))) as KeyFile } catch { /* shown with empty fields */ }
    out.push({ id: f.name, current: f.name === repo.keyId, username: kf.username ?? '', hostname: kf.hostname ?? '', created: kf.created ?? '' })
  }
  return out.sort((a, b) => a.created.localeCompare(b.created))
}

export async function addKey (repo: Repository, password: string, options: AbortOptions & { scrypt?: ScryptParams, hostname?: string, username?: string } = {}): Promise<string> {
  return await repo.addKey(password, options)
}

/** Remove a key by ID or unique prefix; the key used to open the repository cannot be removed. */
export async function removeKey (repo: Repository, ref: string, options?: AbortOptions): Promise<string> {
  const ids = (await repo.backend.list('keys', options)).map(f => f.name).filter(n => n.startsWith(ref))
  if (ids.length !== 1) throw new InvalidInputError(ids.length === 0 ? `no key with ID ${ref}. Run \`cairn restic key list\`.` : `key prefix ${ref} is ambiguous; give more characters.`)
  const id = ids[0] as string
  if (id === repo.keyId) throw new InvalidInputError(`key ${id.slice(0, 8)} is the one in use and cannot be removed; open the repository with another password to remove it.`)
  await repo.backend.remove({ type: 'keys', name: id }, options)
  return id
}
