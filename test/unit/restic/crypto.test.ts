import { describe, expect, it } from 'vitest'
import { Key, MacMismatch } from '../../../src/restic/crypto/key.js'
import { deriveKey, validateScrypt } from '../../../src/restic/crypto/kdf.js'
import { fromBase64, fromHex, toHex, utf8, fromUtf8 } from '../../../src/restic/util/bytes.js'
import { json } from './helpers.js'

interface Vectors {
  scrypt: { password: string, salt_b64: string, N: number, r: number, p: number, output_hex: string }
  key_data: { iv: string, ciphertext_hex: string, mac: string, plaintext: string }
  config: { file_hex: string, plaintext: string }
  hello_blob: { encrypted_hex: string, decrypted_hex: string }
  fixed_seal_vector: { encrypt_key: string, mac_k: string, mac_r: string, iv: string, plaintext: string, sealed_hex: string }
}

describe('restic crypto', () => {
  for (const v of ['v1', 'v2'] as const) {
    const vec = json<Vectors>(`${v}/crypto_vectors.json`)
    it(`${v}: scrypt, key file, config and a blob match the vectors`, async () => {
      const out = await deriveKey(vec.scrypt.password, fromBase64(vec.scrypt.salt_b64), vec.scrypt)
      expect(toHex(out)).toBe(vec.scrypt.output_hex)
      const user = Key.fromKdf(out)
      const sealed = fromHex(vec.key_data.iv + vec.key_data.ciphertext_hex + vec.key_data.mac)
      expect(fromUtf8(await user.open(sealed))).toBe(vec.key_data.plaintext)
      const master = Key.fromJSON(JSON.parse(vec.key_data.plaintext))
      expect(fromUtf8(await master.open(fromHex(vec.config.file_hex)))).toBe(vec.config.plaintext)
      expect(toHex(await master.open(fromHex(vec.hello_blob.encrypted_hex)))).toBe(vec.hello_blob.decrypted_hex)
    })
  }

  it('seal reproduces the fixed vector and open rejects a flipped bit before decrypting', async () => {
    const f = json<Vectors>('v2/crypto_vectors.json').fixed_seal_vector
    const key = new Key({ encrypt: fromHex(f.encrypt_key), macK: fromHex(f.mac_k), macR: fromHex(f.mac_r) })
    const sealed = await key.seal(utf8(f.plaintext), fromHex(f.iv))
    expect(toHex(sealed)).toBe(f.sealed_hex)
    expect(fromUtf8(await key.open(sealed))).toBe(f.plaintext)
    for (const pos of [0, 20, sealed.length - 1]) {
      const bad = sealed.slice()
      bad[pos] = (bad[pos] as number) ^ 1
      await expect(key.open(bad)).rejects.toBeInstanceOf(MacMismatch)
    }
    await expect(key.open(new Uint8Array(31))).rejects.toBeInstanceOf(MacMismatch)
  })

  it('random keys round-trip, including empty plaintexts, and clamp r like restic 0.14', async () => {
    const k = Key.random()
    expect((k.material.macR[3] as number) & 0xf0).toBe(0)
    expect((k.material.macR[4] as number) & 0x03).toBe(0)
    for (const n of [0, 1, 15, 16, 17, 100_000]) {
      const data = new Uint8Array(n).map((_, i) => i * 7)
      const s = await k.seal(data)
      expect(s.length).toBe(n + 32)
      expect(await k.open(s)).toEqual(data)
    }
  })

  it('validates scrypt parameters as simple-scrypt does', () => {
    expect(validateScrypt({ N: 32768, r: 8, p: 6 })).toBeUndefined()
    expect(validateScrypt({ N: 3, r: 8, p: 1 })).toMatch(/even/)
    expect(validateScrypt({ N: 1024, r: 0, p: 1 })).toMatch(/>= 1/)
  })
})
