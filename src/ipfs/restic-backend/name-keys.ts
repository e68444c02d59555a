/**
 * The keys a repository's backend may publish with: this device's own (given directly, or kept in
 * a key store under a key name), else the one unlocked from the repository's `cairn-ipns-key`.
 */
import { emit } from '../../core/options.js'
import { nameFromPublicKey, parseName } from '../ipns/names.js'
import { NoRepoKeyError, RepoKeyFileError } from './errors.js'
import { MAX_REPO_KEY_FILE_BYTES, REPO_KEY_FILE, openRepoKey, sealRepoKey } from './repo-key.js'
import type { IpfsBackendComponents, IpfsBackendEvents, IpfsBackendInit } from './init.js'
import type { AbortOptions, OperationOptions } from '../../core/options.js'
import type { Key } from '../../restic/crypto/key.js'
import type { CID } from 'multiformats/cid'
import type { IPNSComponents } from '../ipns/publish.js'
import type { PrivateKey } from '@libp2p/interface'

export class NameKeys {
  /** The name's key from the repository's key file (after `useMasterKey`). */
  unlocked: PrivateKey | undefined

  constructor (private readonly init: IpfsBackendInit, private readonly helia: IpfsBackendComponents['helia']) {}

  /** This device's own key (generated in the key store when `generate` and absent). */
  async local (generate: boolean, options: AbortOptions): Promise<PrivateKey | undefined> {
    const ipns = this.init.ipns
    if (ipns === undefined) return undefined
    if (ipns.privateKey !== undefined) return ipns.privateKey
    if (ipns.keys === undefined || ipns.keyName === undefined) return undefined
    if (!await ipns.keys.has(ipns.keyName, options)) {
      if (!generate) return undefined
      await ipns.keys.generate(ipns.keyName, options)
    }
    return await ipns.keys.privateKey(ipns.keyName, options)
  }

  /** The key that publishes: this device's own, else the one unlocked from the repository. */
  async publishing (generate: boolean, options: AbortOptions): Promise<PrivateKey | undefined> {
    return await this.local(generate, options) ?? this.unlocked
  }

  /**
   * With the repository's master key: unlocks the name's key from the repository's key file
   * (refusing a damaged one, or another name's key), or, when the file is absent and this device
   * holds the key, returns the sealed file to add with the next write.
   */
  async useMasterKey (masterKey: Key, repo: { name: string | undefined, location: string, file: { cid: CID, size: number } | undefined, read: (file: { cid: CID, size: number }) => Promise<Uint8Array> }, options: OperationOptions<IpfsBackendEvents>): Promise<Uint8Array | undefined> {
    const local = await this.local(false, options)
    const expected = repo.name !== undefined ? parseName(repo.name.replace(/^\/ipns\//, '')).k51 : local === undefined ? undefined : nameFromPublicKey(local.publicKey).k51
    if (repo.file !== undefined && expected !== undefined) {
      if (repo.file.size > MAX_REPO_KEY_FILE_BYTES) throw new RepoKeyFileError(`The repository's ${REPO_KEY_FILE} file in ${repo.location} is ${repo.file.size} bytes, more than a key file can be. Remove it from the device that created the repository.`)
      this.unlocked = await openRepoKey(masterKey, await repo.read(repo.file), expected, repo.location)
      emit(options, 'restic-ipfs:key:unlocked', { name: expected })
    } else if (repo.file === undefined && local !== undefined) {
      const sealed = await sealRepoKey(masterKey, local)
      emit(options, 'restic-ipfs:key:stored', { name: nameFromPublicKey(local.publicKey).k51 })
      return sealed
    }
    return undefined
  }

  components (): IPNSComponents {
    const ipns = this.init.ipns
    if (ipns === undefined) throw new NoRepoKeyError('No IPNS settings were given.')
    const routing = this.helia.routing
    return { state: ipns.state, routers: ipns.routers, libp2p: ipns.libp2p, fetch: ipns.fetch, helia: ipns.useHeliaRouting === true && routing !== undefined ? { routing } : undefined }
  }
}

/** Why a backend opened by name cannot publish, given whether the repository carries a key file. */
export function readOnlyMessage (location: string, hasKeyFile: boolean): string {
  return hasKeyFile
    ? `${location} is read-only here: this device holds no key for the name, and the repository's key file (${REPO_KEY_FILE}) was not unlocked. Open the repository with its password (cairn serve restic: give --password-file) so Cairn can unlock the name's key.`
    : `${location} is read-only here: this device holds no key for the name, and the repository does not carry it yet (no ${REPO_KEY_FILE} file). Write to it once from the device that created it (any backup adds the key file), then open it here again.`
}
