import { createHash } from 'node:crypto'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { decode as cborDecode, encode as cborEncode } from 'cborg'
import { createIPNSRecordWithExpiration, marshalIPNSRecord } from 'ipns'
import { describe, expect, it } from 'vitest'
import {
  FieldMismatchError, InvalidNameError, NameMismatchError, PublicKeyUnknownError, RecordExpiredError,
  RecordInvalidError, RecordMalformedError, RecordTooLargeError, SignatureInvalidError,
  SignatureV2MissingError, UnsupportedValidityTypeError
} from '../../../src/ipfs/ipns/errors.js'
import { inspectRecord, parseRFC3339, validateRecord } from '../../../src/ipfs/ipns/inspect.js'
import { nameFromPublicKey, parseIPNSPath, parseName } from '../../../src/ipfs/ipns/names.js'
import { decodeEntry } from '../../../src/ipfs/ipns/record-codec.js'
import { createRecord } from '../../../src/ipfs/ipns/records.js'
import { expiresSoon } from '../../../src/ipfs/ipns/keepalive.js'
import { encodeEntry, loadRecord, loadVectors } from './helpers.js'
import type { RawEntry } from './helpers.js'

const vectors = loadVectors()

describe('IPNS record vectors (spec + gateway conformance)', () => {
  it('the fixture files are the published bytes', () => {
    expect(vectors.length).toBe(14)
    for (const v of vectors) {
      expect(createHash('sha256').update(loadRecord(v.file)).digest('hex')).toBe(v.sha256)
    }
  })

  for (const v of vectors) {
    it(`${v.description}: ${v.expected}`, async () => {
      const verdict = await inspectRecord(loadRecord(v.file), { name: v.name })
      expect(verdict.valid ? 'valid' : 'invalid').toBe(v.expected)
      if (verdict.valid) {
        expect(verdict.value).toBe(v.value)
        expect(verdict.name.k51).toBe(parseName(v.name).k51)
        expect(verdict.expiresAt).toBeGreaterThan(Date.UTC(2123, 0, 1))
      }
    })
  }

  it('gives the specific reason for each invalid spec vector', async () => {
    const reasonOf = async (desc: string): Promise<unknown> => {
      const v = vectors.find(x => x.description.startsWith(desc))
      if (v === undefined) throw new Error(`no vector ${desc}`)
      const verdict = await inspectRecord(loadRecord(v.file), { name: v.name })
      return verdict.valid ? 'valid' : verdict.error
    }
    expect(await reasonOf('spec vector 1')).toBeInstanceOf(SignatureV2MissingError)
    const v3 = await reasonOf('spec vector 3')
    expect(v3).toBeInstanceOf(FieldMismatchError)
    expect((v3 as FieldMismatchError).field).toBe('value')
    expect(await reasonOf('spec vector 4')).toBeInstanceOf(SignatureInvalidError)
  })

  it('reads TTL, sequence, key type and V1 presence', async () => {
    const rsa = vectors.find(v => v.name.startsWith('Qm'))
    const v2only = vectors.find(v => v.description.startsWith('spec vector 6'))
    if (rsa === undefined || v2only === undefined) throw new Error('vectors missing')
    const r = await validateRecord(loadRecord(rsa.file), { name: rsa.name })
    expect(r.keyType).toBe('RSA')
    expect(r.embeddedPublicKey).toBe(true)
    const v = await validateRecord(loadRecord(v2only.file), { name: v2only.name })
    expect(v.v1Compatible).toBe(false)
    expect(v.keyType).toBe('Ed25519')
    expect(typeof v.ttlNs).toBe('bigint')
    expect(v.ttlMs).toBe(Number(v.ttlNs / 1_000_000n))
  })

  it('an RSA record that embeds its key is checked without a name; an Ed25519 one needs the name', async () => {
    const rsa = vectors.find(v => v.name.startsWith('Qm'))
    const ed = vectors.find(v => v.description.startsWith('spec vector 2'))
    if (rsa === undefined || ed === undefined) throw new Error('vectors missing')
    const r = await inspectRecord(loadRecord(rsa.file))
    expect(r.valid && r.name.k51).toBe(parseName(rsa.name).k51)
    const e = await inspectRecord(loadRecord(ed.file))
    expect(e.valid).toBe(false)
    expect(!e.valid && e.error).toBeInstanceOf(PublicKeyUnknownError)
  })
})

async function freshRecord (): Promise<{ bytes: Uint8Array, name: string, entry: RawEntry }> {
  const key = await generateKeyPair('Ed25519')
  const bytes = await createRecord(key, '/ipfs/bafkqaddwgevxmmraojswg33smq', { sequence: 7n, lifetimeMs: 60_000, ttlMs: 1000 })
  return { bytes, name: nameFromPublicKey(key.publicKey).k51, entry: decodeEntry(bytes) as RawEntry }
}

describe('tampered and broken records', () => {
  it('accepts the untouched record (control)', async () => {
    const { bytes, name } = await freshRecord()
    const r = await validateRecord(bytes, { name })
    expect(r.value).toBe('/ipfs/bafkqaddwgevxmmraojswg33smq')
    expect(r.sequence).toBe(7n)
    expect(r.ttlMs).toBe(1000)
    expect(r.v1Compatible).toBe(true)
  })

  it('a flipped signatureV2 byte: signature invalid', async () => {
    const { name, entry } = await freshRecord()
    const sig = Uint8Array.from(entry.signatureV2 ?? [])
    sig[5] = (sig[5] ?? 0) ^ 0x01
    await expect(validateRecord(encodeEntry({ ...entry, signatureV2: sig }), { name })).rejects.toBeInstanceOf(SignatureInvalidError)
  })

  it('a changed V1 value: field mismatch on "value"', async () => {
    const { name, entry } = await freshRecord()
    const err = await validateRecord(encodeEntry({ ...entry, value: new TextEncoder().encode('/ipfs/bafkqaaa') }), { name }).catch(e => e)
    expect(err).toBeInstanceOf(FieldMismatchError)
    expect((err as FieldMismatchError).field).toBe('value')
  })

  it('a changed V1 validity: field mismatch on "validity"', async () => {
    const { name, entry } = await freshRecord()
    const err = await validateRecord(encodeEntry({ ...entry, validity: new TextEncoder().encode('2999-01-01T00:00:00.000000000Z') }), { name }).catch(e => e)
    expect(err).toBeInstanceOf(FieldMismatchError)
    expect((err as FieldMismatchError).field).toBe('validity')
  })

  it('a changed V1 sequence: field mismatch on "sequence"', async () => {
    const { name, entry } = await freshRecord()
    const err = await validateRecord(encodeEntry({ ...entry, sequence: 99n }), { name }).catch(e => e)
    expect((err as FieldMismatchError).field).toBe('sequence')
  })

  it('re-encoded CBOR data with a new value (well-formed): signature invalid', async () => {
    const { name, entry } = await freshRecord()
    const data = cborDecode(entry.data ?? new Uint8Array()) as Record<string, unknown>
    const forged = cborEncode({ ...data, Value: new TextEncoder().encode('/ipfs/bafkqaaa') })
    const err = await validateRecord(encodeEntry({ ...entry, value: new TextEncoder().encode('/ipfs/bafkqaaa'), data: forged }), { name }).catch(e => e)
    expect(err).toBeInstanceOf(SignatureInvalidError)
  })

  it('CBOR data with a later Validity (well-formed): signature invalid', async () => {
    const { name, entry } = await freshRecord()
    const data = cborDecode(entry.data ?? new Uint8Array()) as Record<string, unknown>
    const validity = new TextEncoder().encode('2999-01-01T00:00:00.000000000Z')
    const err = await validateRecord(encodeEntry({ ...entry, validity, data: cborEncode({ ...data, Validity: validity }) }), { name }).catch(e => e)
    expect(err).toBeInstanceOf(SignatureInvalidError)
  })

  it('corrupt CBOR bytes: malformed', async () => {
    const { name, entry } = await freshRecord()
    const data = Uint8Array.from(entry.data ?? [])
    data[0] = 0xff
    await expect(validateRecord(encodeEntry({ ...entry, data }), { name })).rejects.toBeInstanceOf(RecordMalformedError)
  })

  it('an unknown validity type in the signed data: unsupported validity type', async () => {
    const key = await generateKeyPair('Ed25519')
    const data = cborEncode({ Value: new TextEncoder().encode('/ipfs/bafkqaaa'), Validity: new TextEncoder().encode('2999-01-01T00:00:00Z'), ValidityType: 1, Sequence: 1, TTL: 1 })
    const sig = await key.sign(new Uint8Array([...new TextEncoder().encode('ipns-signature:'), ...data]))
    const err = await validateRecord(encodeEntry({ signatureV2: sig, data }), { name: nameFromPublicKey(key.publicKey).k51 }).catch(e => e)
    expect(err).toBeInstanceOf(UnsupportedValidityTypeError)
  })

  it('an expired record: expired (and the "now" option is honoured)', async () => {
    const key = await generateKeyPair('Ed25519')
    const past = marshalIPNSRecord(await createIPNSRecordWithExpiration(key, '/ipfs/bafkqaaa', 1n, '2001-01-01T00:00:00.000000000Z'))
    const name = nameFromPublicKey(key.publicKey).k51
    const verdict = await inspectRecord(past, { name })
    expect(verdict.valid).toBe(false)
    expect(!verdict.valid && verdict.reason).toBe('expired')
    expect(!verdict.valid && verdict.error).toBeInstanceOf(RecordExpiredError)
    expect((await inspectRecord(past, { name, now: Date.UTC(2000, 0, 1) })).valid).toBe(true)
  })

  it('a record checked against another name: signature invalid (Ed25519) or name mismatch (embedded key)', async () => {
    const { bytes, entry } = await freshRecord()
    const other = await generateKeyPair('Ed25519')
    const otherName = nameFromPublicKey(other.publicKey).k51
    await expect(validateRecord(bytes, { name: otherName })).rejects.toBeInstanceOf(SignatureInvalidError)
    // The same record with its key embedded tells the mismatch precisely.
    const signer = await generateKeyPair('Ed25519')
    const own = decodeEntry(await createRecord(signer, '/ipfs/bafkqaaa', { sequence: 1n })) as RawEntry
    const embedded = encodeEntry({ ...own, pubKey: publicKeyToProtobuf(signer.publicKey) })
    await expect(validateRecord(embedded, { name: otherName })).rejects.toBeInstanceOf(NameMismatchError)
    expect((await validateRecord(embedded)).name.k51).toBe(nameFromPublicKey(signer.publicKey).k51)
    expect(entry.signatureV2).toBeDefined()
  })

  it('a record over 10 KiB: too large', async () => {
    const { name, entry } = await freshRecord()
    const big = encodeEntry({ ...entry, pubKey: new Uint8Array(11 * 1024) })
    await expect(validateRecord(big, { name })).rejects.toBeInstanceOf(RecordTooLargeError)
  })

  it('random bytes, truncation and emptiness: malformed', async () => {
    const { bytes, name } = await freshRecord()
    for (const junk of [new Uint8Array(0), bytes.subarray(0, bytes.length - 10), new Uint8Array([0xff, 0xff, 0xff]), new TextEncoder().encode('hello world')]) {
      const v = await inspectRecord(junk, { name })
      expect(v.valid).toBe(false)
      expect(!v.valid && v.error).toBeInstanceOf(RecordInvalidError)
      expect(!v.valid && ['malformed', 'missing-signature-v2']).toContain(!v.valid && v.reason)
    }
  })

  it('every verdict error has a distinct code and its class name', async () => {
    const classes = [FieldMismatchError, NameMismatchError, PublicKeyUnknownError, RecordExpiredError, RecordMalformedError, RecordTooLargeError, SignatureInvalidError, SignatureV2MissingError, UnsupportedValidityTypeError]
    const codes = new Set(classes.map(c => c.code))
    expect(codes.size).toBe(classes.length)
    for (const C of classes) {
      const e = new C('x', 'f')
      expect(e.name).toBe(C.name)
      expect(e.code).toBe(C.code)
      expect(e).toBeInstanceOf(RecordInvalidError)
    }
  })
})

describe('names and times', () => {
  it('parses k51, bafz, peer ids and /ipns/ paths to the same key', async () => {
    const key = await generateKeyPair('Ed25519')
    const n = nameFromPublicKey(key.publicKey)
    expect(n.k51).toMatch(/^k51/)
    expect(n.bafz).toMatch(/^bafz/)
    expect(parseName(n.bafz).k51).toBe(n.k51)
    expect(parseName(n.k51).bafz).toBe(n.bafz)
    expect(parseName(key.publicKey.toString()).k51).toBe(n.k51)
    const p = parseIPNSPath(`/ipns/${n.bafz}/a/b`)
    expect(p.kind === 'key' && p.name.k51).toBe(n.k51)
    expect(p.path).toBe('/a/b')
    expect(parseIPNSPath('/ipns/example.org/x')).toEqual({ kind: 'dnslink', domain: 'example.org', path: '/x' })
    expect(() => parseName('bafkqaaa')).toThrow(InvalidNameError)
    expect(() => parseName('not-a-name')).toThrow(InvalidNameError)
  })

  it('parses RFC 3339 with nanoseconds and offsets', () => {
    expect(parseRFC3339('2123-08-14T12:17:03.694052Z')).toBe(Date.UTC(2123, 7, 14, 12, 17, 3, 694))
    expect(parseRFC3339('2126-01-31T15:56:12.714899293Z')).toBe(Date.UTC(2126, 0, 31, 15, 56, 12, 714))
    expect(parseRFC3339('2000-01-01T02:00:00+02:00')).toBe(Date.UTC(2000, 0, 1))
    expect(() => parseRFC3339('yesterday')).toThrow(RecordMalformedError)
  })

  it('expiresSoon compares the EOL with now + margin', async () => {
    const key = await generateKeyPair('Ed25519')
    const bytes = await createRecord(key, '/ipfs/bafkqaaa', { sequence: 0n, lifetimeMs: 60 * 60 * 1000 })
    const now = Date.now()
    expect(expiresSoon(bytes, now, 10 * 60 * 1000)).toBe(false)
    expect(expiresSoon(bytes, now, 2 * 60 * 60 * 1000)).toBe(true)
    expect(expiresSoon(bytes, now + 2 * 60 * 60 * 1000, 0)).toBe(true)
    expect(expiresSoon({ expiresAt: now + 1000 }, now, 999)).toBe(false)
  })
})
