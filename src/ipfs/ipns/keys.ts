/**
 * The IPNS key store: named signing keys in an `interface-datastore` Datastore, encrypted at rest
 * with AES-256-GCM under a key derived from a passphrase (scrypt) or under a caller-provided
 * non-extractable WebCrypto `CryptoKey`. Export and import use libp2p's protobuf private-key format.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf, publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { Key } from 'interface-datastore'
import { base64 } from 'multiformats/bases/base64'
import { InvalidKeyError, KeyExistsError, KeyLockedError, KeyNotFoundError, WrongPassphraseError } from './errors.js'
import { nameFromPublicKey } from './names.js'
import type { IPNSName } from './names.js'
import type { AbortOptions } from '../../core/options.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** How keys are protected at rest. */
export type KeyProtection =
  | { passphrase: string, cryptoKey?: undefined }
  | { cryptoKey: CryptoKey, passphrase?: undefined }

export interface KeyStoreInit {
  datastore: Datastore
  /** The passphrase or CryptoKey; without it only `list`/`info`/`rename`/`remove` work. */
  protection?: KeyProtection | undefined
  /** log2 of scrypt's N for newly stored keys. @default 15 (32 MiB, r = 8) */
  scryptLogN?: number | undefined
}

/** Public facts about a stored key (no secret material). */
export interface KeyInfo {
  /** The local name the user chose. */
  keyName: string
  /** The IPNS name the key publishes under (`k51…`, `bafz…`). */
  name: IPNSName
  type: PrivateKey['type']
  createdAt: number
  /** How the private key is encrypted. */
  protectedBy: 'passphrase' | 'crypto-key'
}

interface StoredKeyV1 {
  v: 1
  type: PrivateKey['type']
  publicKey: string
  createdAt: number
  enc: {
    alg: 'AES-256-GCM'
    kdf: { alg: 'scrypt', salt: string, logN: number, r: number, p: number } | { alg: 'crypto-key' }
    iv: string
    ct: string
  }
}

const PREFIX = '/cairn/ipns/keys'
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const SCRYPT_R = 8
const SCRYPT_P = 1

function b64 (bytes: Uint8Array): string { return base64.baseEncode(bytes) }
function unb64 (text: string): Uint8Array<ArrayBuffer> { return new Uint8Array(base64.baseDecode(text)) }

function checkKeyName (keyName: string): void {
  if (!KEY_NAME.test(keyName)) {
    throw new InvalidKeyError(`"${keyName}" is not a usable key name. Use 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit.`)
  }
}

async function scryptKey (passphrase: string, salt: Uint8Array, logN: number): Promise<CryptoKey> {
  const { scrypt } = await import('hash-wasm')
  const raw = await scrypt({ password: passphrase, salt, costFactor: 2 ** logN, blockSize: SCRYPT_R, parallelism: SCRYPT_P, hashLength: 32, outputType: 'binary' })
  const key = await crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
  raw.fill(0)
  return key
}

export class KeyStore {
  private readonly datastore: Datastore
  private readonly protection: KeyProtection | undefined
  private readonly scryptLogN: number

  constructor (init: KeyStoreInit) {
    this.datastore = init.datastore
    this.protection = init.protection
    this.scryptLogN = init.scryptLogN ?? 15
  }

  private dsKey (keyName: string): Key {
    checkKeyName(keyName)
    return new Key(`${PREFIX}/${keyName}`)
  }

  private async load (keyName: string, options?: AbortOptions): Promise<StoredKeyV1> {
    const key = this.dsKey(keyName)
    if (!await this.datastore.has(key, options)) {
      throw new KeyNotFoundError(`There is no key named "${keyName}". Create it with "key gen ${keyName}" or list the keys with "key list".`)
    }
    const bytes = await this.datastore.get(key, options)
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as StoredKeyV1
      if (parsed.v !== 1) throw new Error(`unknown version ${String(parsed.v)}`)
      return parsed
    } catch (err) {
      throw new InvalidKeyError(`The stored key "${keyName}" is unreadable (${(err as Error).message}). Restore it from an export or remove it.`, { cause: err })
    }
  }

  private info (keyName: string, stored: StoredKeyV1): KeyInfo {
    return {
      keyName,
      name: nameFromPublicKey(publicKeyFromProtobuf(unb64(stored.publicKey))),
      type: stored.type,
      createdAt: stored.createdAt,
      protectedBy: stored.enc.kdf.alg === 'scrypt' ? 'passphrase' : 'crypto-key'
    }
  }

  private async seal (privateKey: PrivateKey, createdAt: number): Promise<StoredKeyV1> {
    const protection = this.protection
    if (protection === undefined) {
      throw new KeyLockedError('Storing a key needs a passphrase (or a CryptoKey) to encrypt it with. Give one (CLI: --pass-file or CAIRN_KEY_PASSPHRASE).')
    }
    const publicKey = publicKeyToProtobuf(privateKey.publicKey)
    const iv = crypto.getRandomValues(new Uint8Array(12))
    let aesKey: CryptoKey
    let kdf: StoredKeyV1['enc']['kdf']
    if (protection.cryptoKey !== undefined) {
      aesKey = protection.cryptoKey
      kdf = { alg: 'crypto-key' }
    } else {
      const salt = crypto.getRandomValues(new Uint8Array(16))
      aesKey = await scryptKey(protection.passphrase, salt, this.scryptLogN)
      kdf = { alg: 'scrypt', salt: b64(salt), logN: this.scryptLogN, r: SCRYPT_R, p: SCRYPT_P }
    }
    const plain = privateKeyToProtobuf(privateKey)
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new Uint8Array(publicKey) }, aesKey, new Uint8Array(plain)))
    plain.fill(0)
    return { v: 1, type: privateKey.type, publicKey: b64(publicKey), createdAt, enc: { alg: 'AES-256-GCM', kdf, iv: b64(iv), ct: b64(ct) } }
  }

  private async open (keyName: string, stored: StoredKeyV1): Promise<PrivateKey> {
    const protection = this.protection
    const kdf = stored.enc.kdf
    let aesKey: CryptoKey
    if (kdf.alg === 'scrypt') {
      if (protection?.passphrase === undefined) {
        throw new KeyLockedError(`The key "${keyName}" is encrypted with a passphrase. Give the passphrase (CLI: --pass-file or CAIRN_KEY_PASSPHRASE).`)
      }
      aesKey = await scryptKey(protection.passphrase, unb64(kdf.salt), kdf.logN)
    } else {
      if (protection?.cryptoKey === undefined) {
        throw new KeyLockedError(`The key "${keyName}" is encrypted with the app's device key (a CryptoKey), which was not given.`)
      }
      aesKey = protection.cryptoKey
    }
    let plain: Uint8Array
    try {
      plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(stored.enc.iv), additionalData: unb64(stored.publicKey) }, aesKey, unb64(stored.enc.ct)))
    } catch (err) {
      throw new WrongPassphraseError(kdf.alg === 'scrypt'
        ? `Wrong passphrase for key "${keyName}" (or the stored key was altered). Check the passphrase and try again.`
        : `The device key cannot decrypt key "${keyName}" (wrong CryptoKey, or the stored key was altered).`, { cause: err })
    }
    const privateKey = privateKeyFromProtobuf(plain)
    plain.fill(0)
    return privateKey
  }

  /** Every stored key, sorted by name. */
  async list (options?: AbortOptions): Promise<KeyInfo[]> {
    const out: KeyInfo[] = []
    for await (const { key } of this.datastore.query({ prefix: PREFIX }, options)) {
      const keyName = key.baseNamespace()
      out.push(this.info(keyName, await this.load(keyName, options)))
    }
    return out.sort((a, b) => a.keyName.localeCompare(b.keyName))
  }

  async has (keyName: string, options?: AbortOptions): Promise<boolean> {
    return await this.datastore.has(this.dsKey(keyName), options)
  }

  async get (keyName: string, options?: AbortOptions): Promise<KeyInfo> {
    return this.info(keyName, await this.load(keyName, options))
  }

  /** Creates and stores a new Ed25519 key. */
  async generate (keyName: string, options?: AbortOptions): Promise<KeyInfo> {
    return await this.store(keyName, await generateKeyPair('Ed25519'), options)
  }

  /** Stores a private key given in libp2p's protobuf format (what `exportKey` returns). */
  async importKey (keyName: string, protobuf: Uint8Array, options?: AbortOptions): Promise<KeyInfo> {
    let privateKey: PrivateKey
    try {
      privateKey = privateKeyFromProtobuf(protobuf)
    } catch (err) {
      throw new InvalidKeyError(`The data to import is not a libp2p private key in protobuf form (${(err as Error).message}). Export the key with "cairn ipns key export" or Kubo's "ipfs key export --format=libp2p-protobuf-cleartext".`, { cause: err })
    }
    return await this.store(keyName, privateKey, options)
  }

  private async store (keyName: string, privateKey: PrivateKey, options?: AbortOptions): Promise<KeyInfo> {
    const key = this.dsKey(keyName)
    if (await this.datastore.has(key, options)) {
      throw new KeyExistsError(`A key named "${keyName}" exists already. Choose another name, or remove the old key first.`)
    }
    const stored = await this.seal(privateKey, Date.now())
    await this.datastore.put(key, new TextEncoder().encode(JSON.stringify(stored)), options)
    return this.info(keyName, stored)
  }

  /** The private key in libp2p's protobuf format, unencrypted: keep it safe. */
  async exportKey (keyName: string, options?: AbortOptions): Promise<Uint8Array> {
    return privateKeyToProtobuf(await this.privateKey(keyName, options))
  }

  /** The decrypted private key, for signing. */
  async privateKey (keyName: string, options?: AbortOptions): Promise<PrivateKey> {
    return await this.open(keyName, await this.load(keyName, options))
  }

  async rename (oldName: string, newName: string, options?: AbortOptions): Promise<KeyInfo> {
    const stored = await this.load(oldName, options)
    const newKey = this.dsKey(newName)
    if (await this.datastore.has(newKey, options)) {
      throw new KeyExistsError(`A key named "${newName}" exists already. Choose another name.`)
    }
    await this.datastore.put(newKey, new TextEncoder().encode(JSON.stringify(stored)), options)
    await this.datastore.delete(this.dsKey(oldName), options)
    return this.info(newName, stored)
  }

  async remove (keyName: string, options?: AbortOptions): Promise<void> {
    await this.load(keyName, options)
    await this.datastore.delete(this.dsKey(keyName), options)
  }
}
