/** Key files (`keys/<id>`): plain JSON holding scrypt parameters and the sealed master key. */
import { Key } from '../crypto/key.js'
import type { MasterKeyJSON } from '../crypto/key.js'
import { calibrateScrypt, deriveKey, validateScrypt } from '../crypto/kdf.js'
import type { ScryptParams } from '../crypto/kdf.js'
import { fromBase64, fromUtf8, randomBytes, toBase64, utf8 } from '../util/bytes.js'
import { goJsonString } from '../util/go-json.js'

export interface KeyFile {
  created?: string
  username?: string
  hostname?: string
  kdf: string
  N: number
  r: number
  p: number
  salt: string
  data: string
}

export const SALT_SIZE = 64

/** Why a key file cannot be used, or undefined if its parameters are valid. */
export function keyFileProblem (k: KeyFile): string | undefined {
  if (k.kdf !== 'scrypt') return `unknown kdf "${k.kdf}"`
  if (typeof k.salt !== 'string' || fromBase64(k.salt).length !== SALT_SIZE) return 'salt is not 64 bytes'
  return validateScrypt(k)
}

/** Derive the user key and open the master key; throws `MacMismatch` for a wrong password. */
export async function openKeyFile (k: KeyFile, password: string): Promise<Key> {
  const userKey = Key.fromKdf(await deriveKey(password, fromBase64(k.salt), k))
  const plain = await userKey.open(fromBase64(k.data))
  return Key.fromJSON(JSON.parse(fromUtf8(plain)) as MasterKeyJSON)
}

export interface NewKeyOptions {
  /** Default: calibrated like restic (N=32768, r=8, p for ~0.5 s). */
  scrypt?: ScryptParams | undefined
  username?: string | undefined
  hostname?: string | undefined
  created?: string | undefined
}

/** A key file for `master` protected by `password`, as the exact bytes restic would write. */
export async function createKeyFile (master: Key, password: string, options: NewKeyOptions = {}): Promise<Uint8Array> {
  const params = options.scrypt ?? await calibrateScrypt()
  const problem = validateScrypt(params)
  if (problem !== undefined) throw new RangeError(`invalid scrypt parameters: ${problem}`)
  const salt = randomBytes(SALT_SIZE)
  const userKey = Key.fromKdf(await deriveKey(password, salt, params))
  const data = await userKey.seal(utf8(JSON.stringify(master.toJSON())))
  const parts = [
    `"created":${goJsonString(options.created ?? new Date().toISOString())}`,
    `"username":${goJsonString(options.username ?? '')}`,
    `"hostname":${goJsonString(options.hostname ?? '')}`,
    '"kdf":"scrypt"',
    `"N":${params.N}`, `"r":${params.r}`, `"p":${params.p}`,
    `"salt":"${toBase64(salt)}"`,
    `"data":"${toBase64(data)}"`
  ]
  return utf8('{' + parts.join(',') + '}')
}
