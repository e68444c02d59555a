/**
 * The IPNS record validator and inspector: raw record bytes (and, optionally, the name they were
 * fetched for) in, a verdict out. Follows the IPNS record spec's validation steps: size, envelope,
 * V2 signature over the CBOR data, V1 fields equal to the CBOR fields, EOL not passed.
 */
import { publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { CID } from 'multiformats/cid'
import {
  FieldMismatchError, InvalidValueError, NameMismatchError, PublicKeyUnknownError, RecordExpiredError,
  RecordInvalidError, RecordMalformedError, RecordTooLargeError, SignatureInvalidError
} from './errors.js'
import { nameFromPublicKey, parseName, publicKeyFromName } from './names.js'
import { VALIDITY_EOL, decodeRecord } from './record-codec.js'
import type { RecordInvalidReason } from './errors.js'
import type { IPNSName } from './names.js'
import type { IpnsEntryFields, IpnsRecordData } from './record-codec.js'
import type { PublicKey } from '@libp2p/interface'

/** The IPNS spec's record size limit. */
export const MAX_RECORD_SIZE = 10 * 1024

export interface InspectOptions {
  /** The name the record is meant for; the record must be signed by its key. */
  name?: string | IPNSName | undefined
  /** The time to check expiry against, in ms since the epoch. Defaults to now. */
  now?: number | undefined
}

/** A record that passed every check. */
export interface ValidRecord {
  valid: true
  /** The name of the key that signed the record. */
  name: IPNSName
  /** The signed value, e.g. `/ipfs/bafy…/sub/path`. */
  value: string
  sequence: bigint
  /** The EOL as written in the record (RFC 3339, possibly with nanoseconds). */
  validity: string
  /** The EOL as a time, in ms since the epoch. */
  expiresAt: number
  /** The TTL in nanoseconds, as signed. */
  ttlNs: bigint
  /** The TTL in milliseconds (rounded down). */
  ttlMs: number
  keyType: PublicKey['type']
  /** Whether the record carries its public key (needed for RSA names). */
  embeddedPublicKey: boolean
  /** Whether the legacy V1 fields and signature are present (kept for old readers, not verified). */
  v1Compatible: boolean
  /** The record bytes that were checked. */
  bytes: Uint8Array
}

/** A record that failed; `reason` is a stable word, `error` the named error. */
export interface InvalidRecord {
  valid: false
  reason: RecordInvalidReason
  message: string
  error: RecordInvalidError
}

export type RecordVerdict = ValidRecord | InvalidRecord

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/

/** Parses an RFC 3339 timestamp (with up to nanosecond precision) into ms since the epoch. */
export function parseRFC3339 (text: string): number {
  const m = RFC3339.exec(text)
  if (m === null) throw new RecordMalformedError(`The record's validity "${text}" is not an RFC 3339 time: the record is malformed.`)
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string]
  const ms = frac === undefined ? 0 : Number((frac + '00').slice(0, 3))
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms)
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1
    t -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000
  }
  if (!Number.isFinite(t)) throw new RecordMalformedError(`The record's validity "${text}" is not a real date: the record is malformed.`)
  return t
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The value as a content path, as the spec reads it (a path, or legacy raw/string CIDs). */
function normaliseValue (bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).trim()
  if (text.startsWith('/')) return text
  try { return `/ipfs/${CID.decode(bytes).toV1().toString()}` } catch { /* not CID bytes */ }
  try { return `/ipfs/${CID.parse(text).toV1().toString()}` } catch { /* not a CID string */ }
  throw new InvalidValueError('The record\'s value is neither a content path (starting with "/") nor a CID. The publisher signed an unusable value.')
}

function resolveSigner (entry: IpnsEntryFields, expected: IPNSName | undefined): PublicKey {
  if (entry.pubKey !== undefined) {
    let key: PublicKey
    try {
      key = publicKeyFromProtobuf(entry.pubKey)
    } catch (err) {
      throw new RecordMalformedError('The record embeds a public key that cannot be decoded: the record is corrupt.', { cause: err })
    }
    if (expected !== undefined && !equalBytes(key.toMultihash().bytes, expected.multihash.bytes)) {
      throw new NameMismatchError(`The record is signed by ${nameFromPublicKey(key).k51}, not by ${expected.k51}. It belongs to another name; do not use it for this one.`)
    }
    return key
  }
  if (expected === undefined) {
    throw new PublicKeyUnknownError('The record does not embed its public key, so it can only be checked against its name. Pass the IPNS name (k51…) it was published under.')
  }
  const key = publicKeyFromName(expected)
  if (key === undefined) {
    throw new PublicKeyUnknownError(`The name ${expected.k51} is a hash of its key (RSA), and the record does not embed the key, so its signature cannot be checked.`)
  }
  return key
}

function checkV1Fields (entry: IpnsEntryFields, data: IpnsRecordData): void {
  const mismatch = (field: string): FieldMismatchError =>
    new FieldMismatchError(`The record's unsigned V1 field "${field}" differs from the signed V2 data. Someone altered the record; do not trust it.`, field)
  if (entry.value !== undefined && !equalBytes(entry.value, data.Value)) throw mismatch('value')
  if (entry.validity !== undefined && !equalBytes(entry.validity, data.Validity)) throw mismatch('validity')
  if (entry.validityType !== undefined && entry.validityType !== data.ValidityType) throw mismatch('validityType')
  if (entry.sequence !== undefined && entry.sequence !== data.Sequence) throw mismatch('sequence')
  if (entry.ttl !== undefined && entry.ttl !== data.TTL) throw mismatch('ttl')
}

/** Checks a record; returns its contents, or throws a `RecordInvalidError` subclass naming the reason. */
export async function validateRecord (bytes: Uint8Array, options: InspectOptions = {}): Promise<ValidRecord> {
  if (bytes.byteLength > MAX_RECORD_SIZE) {
    throw new RecordTooLargeError(`The record is ${bytes.byteLength} bytes; IPNS records may be at most ${MAX_RECORD_SIZE}. It is not accepted.`)
  }
  const expected = typeof options.name === 'string' ? parseName(options.name) : options.name
  const { entry, data } = decodeRecord(bytes)
  const signer = resolveSigner(entry, expected)
  const signedData = entry.data ?? new Uint8Array(0)
  const prefix = new TextEncoder().encode('ipns-signature:')
  const message = new Uint8Array(prefix.length + signedData.length)
  message.set(prefix, 0)
  message.set(signedData, prefix.length)
  let ok: boolean
  try {
    ok = await signer.verify(message, entry.signatureV2 ?? new Uint8Array(0))
  } catch {
    ok = false
  }
  if (!ok) {
    throw new SignatureInvalidError(`The record's signature does not verify against the key of ${nameFromPublicKey(signer).k51}. The record was altered or signed by another key; do not trust it.`)
  }
  checkV1Fields(entry, data)
  const validity = new TextDecoder().decode(data.Validity)
  const expiresAt = parseRFC3339(validity)
  const now = options.now ?? Date.now()
  if (data.ValidityType === VALIDITY_EOL && expiresAt < now) {
    throw new RecordExpiredError(`The record expired at ${validity}. Ask the publisher to republish it.`)
  }
  const value = normaliseValue(data.Value)
  return {
    valid: true,
    name: expected ?? nameFromPublicKey(signer),
    value,
    sequence: data.Sequence,
    validity,
    expiresAt,
    ttlNs: data.TTL,
    ttlMs: Number(data.TTL / 1_000_000n),
    keyType: signer.type,
    embeddedPublicKey: entry.pubKey !== undefined,
    v1Compatible: entry.signatureV1 !== undefined,
    bytes
  }
}

/** Like `validateRecord`, but returns an invalid verdict instead of throwing for a bad record. */
export async function inspectRecord (bytes: Uint8Array, options: InspectOptions = {}): Promise<RecordVerdict> {
  try {
    return await validateRecord(bytes, options)
  } catch (err) {
    if (err instanceof RecordInvalidError) {
      return { valid: false, reason: err.reason, message: err.message, error: err }
    }
    throw err
  }
}
