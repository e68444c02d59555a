/**
 * The node's own private key (its peer ID), loaded from or created in the datastore in the format
 * `@libp2p/keychain` uses, so the peer ID stays the same whichever of the two reads it.
 *
 * `@helia/libp2p` loads the key with `loadOrCreateSelfKey` from `@libp2p/config`, which brings the
 * whole keychain along: asn1js, PEM and PKCS #8 for RSA, a JS PBKDF2; about a sixth of the node's
 * code, all of it before the peer ID shows. The page's build points `@libp2p/config` here instead
 * (vite.config.ts), and this module reads and writes only what a keychain without a password
 * writes for a non-RSA key:
 *
 * - `/pkcs8/<name>`: base64 of `AES_GCM.encrypt(protobuf private key, '')` (WebCrypto);
 * - `/info/<name>`: `{"name":…,"id":…}`, the id being base58btc of the SHA-256 multihash of the
 *   protobuf key, without its leading `z`.
 *
 * A keychain with a password, or an RSA key in PEM, is refused with what to do.
 */
import { AES_GCM } from '@libp2p/crypto/ciphers'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { Key } from 'interface-datastore'
import { base58btc } from 'multiformats/bases/base58'
import { base64 } from 'multiformats/bases/base64'
import { sha256 } from 'multiformats/hashes/sha2'
import { CairnError } from '../core/errors.js'
import type { KeyType, PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** The stored key could not be read in the format this module knows. */
export class SelfKeyUnreadableError extends CairnError {
  static override readonly code = 'ERR_SELF_KEY_UNREADABLE'
}

export interface LoadOrCreateSelfKeyOptions {
  /** @default 'self' */
  selfKey?: string
  /** @default 'Ed25519' */
  keyType?: KeyType
  /** A keychain password: not supported here (the page's node never sets one). */
  pass?: string
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export async function loadOrCreateSelfKey (datastore: Datastore, init: LoadOrCreateSelfKeyOptions = {}): Promise<PrivateKey> {
  if (init.pass !== undefined) {
    throw new SelfKeyUnreadableError('A keychain password was given, but the page reads only keys stored without one. Load the key with @libp2p/config instead.')
  }
  const name = init.selfKey ?? 'self'
  const keyPath = new Key(`/pkcs8/${name}`)
  if (await datastore.has(keyPath)) {
    const stored = decoder.decode(await datastore.get(keyPath))
    if (stored.includes('BEGIN')) {
      throw new SelfKeyUnreadableError(`The node's key "${name}" is stored as PEM (an RSA key), which the page cannot read. Clear this site's data to start with a new peer ID.`)
    }
    try {
      return privateKeyFromProtobuf(await AES_GCM.create().decrypt(base64.decode(stored), ''))
    } catch (err) {
      throw new SelfKeyUnreadableError(`The node's key "${name}" could not be decrypted (${(err as Error).message}). Clear this site's data to start with a new peer ID.`, { cause: err })
    }
  }
  const keyType = init.keyType ?? 'Ed25519'
  if (keyType === 'RSA') throw new SelfKeyUnreadableError('RSA node keys are stored as PEM, which the page does not write. Use Ed25519.')
  const key = await generateKeyPair(keyType)
  const pb = privateKeyToProtobuf(key)
  const sealed = base64.encode(await AES_GCM.create().encrypt(pb, ''))
  const id = base58btc.encode((await sha256.digest(pb)).bytes).substring(1)
  const batch = datastore.batch()
  batch.put(keyPath, encoder.encode(sealed))
  batch.put(new Key(`/info/${name}`), encoder.encode(JSON.stringify({ name, id })))
  await batch.commit()
  return key
}
