/**
 * A strict reader for the IPNS record wire format: the protobuf `IpnsEntry` envelope and its DAG-CBOR
 * `data`. Written here (not taken from the `ipns` package) so that each defect gets its own verdict
 * instead of one generic parse failure.
 */
import { decode as cborDecode } from 'cborg'
import { RecordMalformedError, SignatureV2MissingError, UnsupportedValidityTypeError } from './errors.js'

/** The protobuf fields of an `IpnsEntry`, as found on the wire (absent fields are undefined). */
export interface IpnsEntryFields {
  value?: Uint8Array
  signatureV1?: Uint8Array
  validityType?: number
  validity?: Uint8Array
  sequence?: bigint
  ttl?: bigint
  pubKey?: Uint8Array
  signatureV2?: Uint8Array
  data?: Uint8Array
}

/** The signed CBOR `data` of a V2 record. */
export interface IpnsRecordData {
  Value: Uint8Array
  Validity: Uint8Array
  ValidityType: number
  Sequence: bigint
  TTL: bigint
}

/** The only validity type the spec defines: an RFC 3339 end-of-life timestamp. */
export const VALIDITY_EOL = 0

function readVarint (buf: Uint8Array, pos: { at: number }): bigint {
  let result = 0n
  let shift = 0n
  for (let i = 0; i < 10; i++) {
    const byte = buf[pos.at++]
    if (byte === undefined) throw new RecordMalformedError('The record ends inside a protobuf varint: it is truncated. Fetch it again.')
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return result & 0xffffffffffffffffn
    shift += 7n
  }
  throw new RecordMalformedError('The record holds a protobuf varint longer than 10 bytes: it is not an IPNS record.')
}

const BYTES_FIELDS = new Map<number, keyof IpnsEntryFields>([
  [1, 'value'], [2, 'signatureV1'], [4, 'validity'], [7, 'pubKey'], [8, 'signatureV2'], [9, 'data']
])
const VARINT_FIELDS = new Map<number, keyof IpnsEntryFields>([[3, 'validityType'], [5, 'sequence'], [6, 'ttl']])

/** Decodes the protobuf envelope. Unknown fields are skipped, as protobuf requires. */
export function decodeEntry (bytes: Uint8Array): IpnsEntryFields {
  const out: IpnsEntryFields = {}
  const pos = { at: 0 }
  while (pos.at < bytes.length) {
    const tag = readVarint(bytes, pos)
    const field = Number(tag >> 3n)
    const wire = Number(tag & 7n)
    if (field === 0) throw new RecordMalformedError('The record holds protobuf field number 0: it is not an IPNS record.')
    if (wire === 0) {
      const v = readVarint(bytes, pos)
      const name = VARINT_FIELDS.get(field)
      if (name === 'validityType') out.validityType = Number(v)
      else if (name === 'sequence' || name === 'ttl') out[name] = v
      else if (BYTES_FIELDS.has(field)) throw new RecordMalformedError(`Protobuf field ${field} of the record has the wrong wire type: it is not an IPNS record.`)
    } else if (wire === 2) {
      const len = Number(readVarint(bytes, pos))
      if (pos.at + len > bytes.length) throw new RecordMalformedError('A protobuf field runs past the end of the record: it is truncated. Fetch it again.')
      const slice = bytes.subarray(pos.at, pos.at + len)
      pos.at += len
      const name = BYTES_FIELDS.get(field)
      if (name !== undefined) (out as Record<string, unknown>)[name] = slice
      else if (VARINT_FIELDS.has(field)) throw new RecordMalformedError(`Protobuf field ${field} of the record has the wrong wire type: it is not an IPNS record.`)
    } else if (wire === 1) {
      pos.at += 8
    } else if (wire === 5) {
      pos.at += 4
    } else {
      throw new RecordMalformedError(`The record uses protobuf wire type ${wire}, which IPNS records never use: it is not an IPNS record.`)
    }
    if (pos.at > bytes.length) throw new RecordMalformedError('The record is truncated. Fetch it again.')
  }
  return out
}

const CBOR_OPTIONS = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  useMaps: false,
  rejectDuplicateMapKeys: true,
  tags: Object.assign([], { 42: (bytes: unknown) => bytes })
}

function toBigInt (v: unknown, field: string): bigint {
  if (typeof v === 'bigint' && v >= 0n) return v
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  throw new RecordMalformedError(`The signed data's ${field} is not a non-negative integer: the record is malformed.`)
}

function toBytes (v: unknown, field: string): Uint8Array {
  if (v instanceof Uint8Array) return v
  throw new RecordMalformedError(`The signed data's ${field} is missing or not a byte string: the record is malformed.`)
}

/** Parses the signed DAG-CBOR `data` map. */
export function parseData (data: Uint8Array): IpnsRecordData {
  let decoded: unknown
  try {
    decoded = cborDecode(data, CBOR_OPTIONS)
  } catch (err) {
    throw new RecordMalformedError(`The record's signed data is not valid DAG-CBOR (${(err as Error).message}): the record is corrupt.`, { cause: err })
  }
  if (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded) || decoded instanceof Uint8Array) {
    throw new RecordMalformedError('The record\'s signed data is not a CBOR map: the record is corrupt.')
  }
  const map = decoded as Record<string, unknown>
  const validityType = toBigInt(map.ValidityType, 'ValidityType')
  if (validityType !== BigInt(VALIDITY_EOL)) {
    throw new UnsupportedValidityTypeError(`The record's validity type is ${validityType}; only 0 (EOL) is defined. The record cannot be checked for expiry, so it is not accepted.`)
  }
  return {
    Value: toBytes(map.Value, 'Value'),
    Validity: toBytes(map.Validity, 'Validity'),
    ValidityType: VALIDITY_EOL,
    Sequence: toBigInt(map.Sequence, 'Sequence'),
    TTL: toBigInt(map.TTL, 'TTL')
  }
}

/** Decodes a record far enough to check it: the envelope, plus the signed data (required since V2). */
export function decodeRecord (bytes: Uint8Array): { entry: IpnsEntryFields, data: IpnsRecordData } {
  const entry = decodeEntry(bytes)
  if (entry.signatureV2 === undefined || entry.data === undefined) {
    if (entry.signatureV1 !== undefined) {
      throw new SignatureV2MissingError('The record is V1-only (no signatureV2 and no signed data). V1-only records are no longer valid: republish it with current software.')
    }
    throw new RecordMalformedError('The record has neither signatureV2 nor signed data: it is not an IPNS record.')
  }
  return { entry, data: parseData(entry.data) }
}
