import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core'
import { describe, expect, it } from 'vitest'
import { InvalidKeyError, KeyExistsError, KeyLockedError, KeyNotFoundError, WrongPassphraseError } from '../../../src/ipfs/ipns/errors.js'
import { validateRecord } from '../../../src/ipfs/ipns/inspect.js'
import { KeyStore } from '../../../src/ipfs/ipns/keys.js'
import { nameFromPublicKey } from '../../../src/ipfs/ipns/names.js'
import { createRecord } from '../../../src/ipfs/ipns/records.js'

/** True if `needle` occurs anywhere in `hay`. */
function contains (hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

async function allValues (ds: MemoryDatastore): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const { value } of ds.query({})) out.push(value)
  return out
}

// A low scrypt cost keeps the suite quick; the default (2^15) is what the app and CLI use.
const LOG_N = 10

describe('KeyStore', () => {
  it('generates Ed25519 keys and shows their names as k51… and bafz…', async () => {
    const keys = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'correct horse' }, scryptLogN: LOG_N })
    const info = await keys.generate('site')
    expect(info.type).toBe('Ed25519')
    expect(info.name.k51).toMatch(/^k51qzi5uqu5/)
    expect(info.name.bafz).toMatch(/^bafzaa/)
    expect(info.protectedBy).toBe('passphrase')
    const pk = await keys.privateKey('site')
    expect(nameFromPublicKey(pk.publicKey).k51).toBe(info.name.k51)
    // the key signs records that verify under its name
    const record = await createRecord(pk, '/ipfs/bafkqaaa', { sequence: 1n })
    expect((await validateRecord(record, { name: info.name.k51 })).value).toBe('/ipfs/bafkqaaa')
  })

  it('lists, renames and removes keys', async () => {
    const keys = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'p' }, scryptLogN: LOG_N })
    const a = await keys.generate('alpha')
    await keys.generate('beta')
    expect((await keys.list()).map(k => k.keyName)).toEqual(['alpha', 'beta'])
    await expect(keys.generate('alpha')).rejects.toBeInstanceOf(KeyExistsError)
    await expect(keys.rename('alpha', 'beta')).rejects.toBeInstanceOf(KeyExistsError)
    const renamed = await keys.rename('alpha', 'gamma')
    expect(renamed.name.k51).toBe(a.name.k51)
    expect((await keys.list()).map(k => k.keyName)).toEqual(['beta', 'gamma'])
    // the renamed key still decrypts (the ciphertext is bound to the public key, not the name)
    expect(nameFromPublicKey((await keys.privateKey('gamma')).publicKey).k51).toBe(a.name.k51)
    await keys.remove('beta')
    expect((await keys.list()).map(k => k.keyName)).toEqual(['gamma'])
    await expect(keys.remove('beta')).rejects.toBeInstanceOf(KeyNotFoundError)
    await expect(keys.privateKey('nope')).rejects.toBeInstanceOf(KeyNotFoundError)
    await expect(keys.generate('../etc')).rejects.toBeInstanceOf(InvalidKeyError)
  })

  it('exports and imports libp2p protobuf keys (round trip, also from outside)', async () => {
    const a = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'one' }, scryptLogN: LOG_N })
    const b = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'two' }, scryptLogN: LOG_N })
    const info = await a.generate('k')
    const exported = await a.exportKey('k')
    expect(privateKeyFromProtobuf(exported).type).toBe('Ed25519')
    const imported = await b.importKey('copy', exported)
    expect(imported.name.k51).toBe(info.name.k51)
    expect(await b.exportKey('copy')).toEqual(exported)
    // a key made elsewhere (e.g. Kubo's libp2p-protobuf-cleartext export) imports too
    const outside = await generateKeyPair('Ed25519')
    const fromOutside = await b.importKey('outside', privateKeyToProtobuf(outside))
    expect(fromOutside.name.k51).toBe(nameFromPublicKey(outside.publicKey).k51)
    await expect(b.importKey('junk', new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(InvalidKeyError)
  })

  it('stores no plaintext key bytes; a wrong or missing passphrase is refused clearly', async () => {
    const datastore = new MemoryDatastore()
    const keys = new KeyStore({ datastore, protection: { passphrase: 'right' }, scryptLogN: LOG_N })
    await keys.generate('secret')
    const plain = await keys.exportKey('secret')
    const raw = privateKeyFromProtobuf(plain).raw
    const seed = raw.subarray(0, 32)
    for (const value of await allValues(datastore)) {
      expect(contains(value, plain)).toBe(false)
      expect(contains(value, seed)).toBe(false)
      const text = new TextDecoder().decode(value)
      expect(text).not.toContain(Buffer.from(seed).toString('base64').slice(0, 20))
      expect(text).not.toContain(Buffer.from(seed).toString('hex').slice(0, 20))
    }
    const wrong = new KeyStore({ datastore, protection: { passphrase: 'wrong' } })
    const err = await wrong.privateKey('secret').catch(e => e)
    expect(err).toBeInstanceOf(WrongPassphraseError)
    expect((err as Error).message).toMatch(/Wrong passphrase for key "secret"/)
    const locked = new KeyStore({ datastore })
    await expect(locked.privateKey('secret')).rejects.toBeInstanceOf(KeyLockedError)
    await expect(locked.generate('another')).rejects.toBeInstanceOf(KeyLockedError)
    // listing needs no passphrase
    expect((await locked.list()).map(k => k.keyName)).toEqual(['secret'])
  })

  it('encrypts with a non-extractable WebCrypto CryptoKey instead of a passphrase', async () => {
    const datastore = new MemoryDatastore()
    const cryptoKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const keys = new KeyStore({ datastore, protection: { cryptoKey } })
    const info = await keys.generate('device')
    expect(info.protectedBy).toBe('crypto-key')
    const plain = await keys.exportKey('device')
    for (const value of await allValues(datastore)) expect(contains(value, plain)).toBe(false)
    const other = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    await expect(new KeyStore({ datastore, protection: { cryptoKey: other } }).privateKey('device')).rejects.toBeInstanceOf(WrongPassphraseError)
    await expect(new KeyStore({ datastore, protection: { passphrase: 'x' } }).privateKey('device')).rejects.toBeInstanceOf(KeyLockedError)
  })

  it('detects a stored key that was altered', async () => {
    const datastore = new MemoryDatastore()
    const keys = new KeyStore({ datastore, protection: { passphrase: 'p' }, scryptLogN: LOG_N })
    await keys.generate('k')
    for await (const { key, value } of datastore.query({})) {
      const json = JSON.parse(new TextDecoder().decode(value)) as { enc: { ct: string } }
      const ct = Buffer.from(json.enc.ct, 'base64')
      ct[3] = (ct[3] ?? 0) ^ 1
      json.enc.ct = ct.toString('base64').replace(/=+$/, '')
      await datastore.put(key, new TextEncoder().encode(JSON.stringify(json)))
    }
    await expect(keys.privateKey('k')).rejects.toBeInstanceOf(WrongPassphraseError)
  })
})
