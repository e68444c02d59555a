/**
 * restic's authenticated encryption: AES-256-CTR, then Poly1305-AES over the ciphertext.
 * Layout: nonce(16) || ciphertext || tag(16). Uses WebCrypto for AES and a small WebAssembly Poly1305 (./poly1305.ts).
 */
import { poly1305 } from './poly1305.js'
import { asBufferSource, concat, equalBytes, fromBase64, isZero, randomBytes, toBase64 } from '../util/bytes.js'

export const NONCE_SIZE = 16
export const MAC_SIZE = 16
export const OVERHEAD = NONCE_SIZE + MAC_SIZE

/** The three parts of a restic key: AES-256 key, and Poly1305-AES `k` and `r`. */
export interface KeyMaterial {
  encrypt: Uint8Array
  macK: Uint8Array
  macR: Uint8Array
}

/** Thrown by `open` when the tag does not match (wrong key or damaged data). */
export class MacMismatch extends Error {
  constructor () { super('ciphertext verification failed'); this.name = 'MacMismatch' }
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle

/** A sealed-box key (restic `crypto.Key`), with the WebCrypto keys imported once. */
export class Key {
  readonly material: KeyMaterial
  #aes: Promise<CryptoKey>
  #mac: Promise<CryptoKey>

  constructor (material: KeyMaterial) {
    if (material.encrypt.length !== 32 || material.macK.length !== 16 || material.macR.length !== 16) throw new RangeError('invalid key sizes')
    if (isZero(material.encrypt) || isZero(material.macK) || isZero(material.macR)) throw new RangeError('invalid key: all-zero part')
    this.material = material
    this.#aes = subtle().importKey('raw', asBufferSource(material.encrypt), 'AES-CTR', false, ['encrypt', 'decrypt'])
    this.#mac = subtle().importKey('raw', asBufferSource(material.macK), 'AES-CTR', false, ['encrypt'])
  }

  static random (): Key {
    const macR = randomBytes(16)
    // restic 0.14 masks r when generating a key (Poly1305 clamping).
    for (const i of [3, 7, 11, 15]) macR[i] = (macR[i] as number) & 0x0f
    for (const i of [4, 8, 12]) macR[i] = (macR[i] as number) & 0xfc
    return new Key({ encrypt: randomBytes(32), macK: randomBytes(16), macR })
  }

  /** Split a 64-byte scrypt output into a user key. */
  static fromKdf (out: Uint8Array): Key {
    return new Key({ encrypt: out.slice(0, 32), macK: out.slice(32, 48), macR: out.slice(48, 64) })
  }

  static fromJSON (json: MasterKeyJSON): Key {
    return new Key({ encrypt: fromBase64(json.encrypt), macK: fromBase64(json.mac.k), macR: fromBase64(json.mac.r) })
  }

  toJSON (): MasterKeyJSON {
    return { mac: { k: toBase64(this.material.macK), r: toBase64(this.material.macR) }, encrypt: toBase64(this.material.encrypt) }
  }

  async #tag (nonce: Uint8Array, ct: Uint8Array): Promise<Uint8Array> {
    // s = AES-128_k(nonce): WebCrypto has no ECB, so CTR-encrypt a zero block with the nonce as counter.
    const s = new Uint8Array(await subtle().encrypt({ name: 'AES-CTR', counter: asBufferSource(nonce), length: 128 }, await this.#mac, new Uint8Array(16)))
    return poly1305(ct, concat([this.material.macR, s]))
  }

  async #ctr (nonce: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    if (data.length === 0) return new Uint8Array(0)
    return new Uint8Array(await subtle().encrypt({ name: 'AES-CTR', counter: asBufferSource(nonce), length: 128 }, await this.#aes, asBufferSource(data)))
  }

  /** Encrypt and authenticate; `nonce` is for test vectors only. */
  async seal (plaintext: Uint8Array, nonce: Uint8Array = randomNonce()): Promise<Uint8Array> {
    const ct = await this.#ctr(nonce, plaintext)
    const tag = await this.#tag(nonce, ct)
    const out = new Uint8Array(OVERHEAD + ct.length)
    out.set(nonce, 0); out.set(ct, NONCE_SIZE); out.set(tag, NONCE_SIZE + ct.length)
    return out
  }

  /** Verify the tag, then decrypt. Throws `MacMismatch` if the data is not authentic. */
  async open (sealed: Uint8Array): Promise<Uint8Array> {
    if (sealed.length < OVERHEAD) throw new MacMismatch()
    const nonce = sealed.subarray(0, NONCE_SIZE)
    if (isZero(nonce)) throw new MacMismatch()
    const ct = sealed.subarray(NONCE_SIZE, sealed.length - MAC_SIZE)
    const tag = sealed.subarray(sealed.length - MAC_SIZE)
    if (!equalBytes(await this.#tag(nonce, ct), tag)) throw new MacMismatch()
    return await this.#ctr(nonce, ct)
  }
}

export interface MasterKeyJSON {
  mac: { k: string, r: string }
  encrypt: string
}

function randomNonce (): Uint8Array {
  for (;;) {
    const n = randomBytes(NONCE_SIZE)
    if (!isZero(n)) return n
  }
}
