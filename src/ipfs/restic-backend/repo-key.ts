/**
 * The name's key inside the repository: `cairn-ipns-key` in the repository root, next to `config`
 * and outside every folder restic reads. It is sealed like restic's `config` (AES-256-CTR +
 * Poly1305-AES under the repository's master key), so anyone who opens the repository with a valid
 * password can publish its name, and nobody else learns anything from it.
 *
 * Plaintext: JSON `{ "version": 1, "name": "k51…", "key": "<base64 libp2p protobuf private key>" }`.
 * Opening checks the MAC, the shape, that the key really is the key of the name it claims, and
 * that this is the name being opened: a repository could otherwise hand a device another name's key.
 */
import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { fromBase64, fromUtf8, toBase64, utf8 } from '../../restic/util/bytes.js'
import { nameFromPublicKey } from '../ipns/names.js'
import { RepoKeyFileError, RepoKeyMismatchError } from './errors.js'
import type { Key } from '../../restic/crypto/key.js'
import type { PrivateKey } from '@libp2p/interface'

/** The key file's name in the repository root. */
export const REPO_KEY_FILE = 'cairn-ipns-key'

/** Largest key file accepted (an RSA-4096 key in protobuf is about 2.4 KiB). */
export const MAX_REPO_KEY_FILE_BYTES = 16 * 1024

interface KeyFileJSON { version: 1, name: string, key: string }

/** Seals `privateKey` under the repository's master key. */
export async function sealRepoKey (masterKey: Key, privateKey: PrivateKey): Promise<Uint8Array> {
  const json: KeyFileJSON = { version: 1, name: nameFromPublicKey(privateKey.publicKey).k51, key: toBase64(privateKeyToProtobuf(privateKey)) }
  return await masterKey.seal(utf8(JSON.stringify(json)))
}

/**
 * Opens a key file and checks it belongs to `expectedName` (k51…). Throws `RepoKeyFileError` when
 * it does not open or is malformed, `RepoKeyMismatchError` when it is another name's key.
 */
export async function openRepoKey (masterKey: Key, sealed: Uint8Array, expectedName: string, location: string): Promise<PrivateKey> {
  const damaged = (why: string, cause?: unknown): RepoKeyFileError => new RepoKeyFileError(
    `The repository's ${REPO_KEY_FILE} file in ${location} ${why}, so this device will not publish with it. Someone who can publish the name wrote a damaged or foreign file: open the repository on the device that created it to write a good one, or remove the file there.`,
    cause === undefined ? undefined : { cause })
  if (sealed.length > MAX_REPO_KEY_FILE_BYTES) throw damaged(`is ${sealed.length} bytes, more than a key file can be`)
  let plain: Uint8Array
  try { plain = await masterKey.open(sealed) } catch (err) { throw damaged('does not open with the repository\'s master key (its MAC does not match)', err) }
  let json: Partial<KeyFileJSON>
  try { json = JSON.parse(fromUtf8(plain)) as Partial<KeyFileJSON> } catch (err) { throw damaged('is not valid JSON', err) }
  if (typeof json !== 'object' || json === null || json.version !== 1 || typeof json.name !== 'string' || typeof json.key !== 'string') throw damaged('is not a version 1 key file')
  let key: PrivateKey
  try { key = privateKeyFromProtobuf(fromBase64(json.key)) } catch (err) { throw damaged('holds no libp2p private key', err) }
  const actual = nameFromPublicKey(key.publicKey).k51
  if (actual !== json.name) throw damaged(`claims the name ${json.name} but holds the key of ${actual}`)
  if (actual !== expectedName) {
    throw new RepoKeyMismatchError(`The repository at ${location} carries the key of ${actual}, not of ${expectedName}, the name being opened. This device refuses to publish with it. Check that the name is right; the repository may have been copied from another name on purpose to mislead.`)
  }
  return key
}
