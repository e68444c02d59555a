/**
 * Errors raised by the IPNS module. Record verdicts use the `RecordInvalidError` family, so a caller
 * can catch "any invalid record" with one `instanceof` and still tell the reasons apart by `name`.
 */
import { CairnError } from '../../core/errors.js'

/** The text is not an IPNS name (`k51…`, `bafz…`, `12D3Koo…`, `Qm…`, `/ipns/<name>`) nor a DNSLink domain. */
export class InvalidNameError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_INVALID_NAME'
}

/** A key name is unusable (bad characters) or a key file holds no libp2p private key. */
export class InvalidKeyError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_INVALID_KEY'
}

/** No key by that name exists in the key store. */
export class KeyNotFoundError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_KEY_NOT_FOUND'
}

/** A key by that name exists already. */
export class KeyExistsError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_KEY_EXISTS'
}

/** The key store needs a passphrase or a CryptoKey to open a key, and none was given. */
export class KeyLockedError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_KEY_LOCKED'
}

/** Decryption failed: the passphrase (or CryptoKey) is wrong, or the stored key was altered. */
export class WrongPassphraseError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_WRONG_PASSPHRASE'
}

/** A record was seen (or is about to be published) with a sequence lower than one already seen. */
export class SequenceRollbackError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_SEQUENCE_ROLLBACK'
  constructor (message: string, readonly sequence: bigint, readonly highestSeen: bigint, options?: ErrorOptions) {
    super(message, options)
  }
}

/** No router returned a valid record for the name. */
export class RecordNotFoundError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_RECORD_NOT_FOUND'
}

/** A delegated router or DoH endpoint answered with something unusable. */
export class RoutingError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_ROUTING'
}

/** A delegated router or DoH endpoint did not finish its answer (headers and body) within the timeout. */
export class RoutingTimeoutError extends RoutingError {
  static override readonly code: string = 'ERR_IPNS_ROUTING_TIMEOUT'
}

/** No DNSLink TXT record was found for a domain. */
export class DNSLinkNotFoundError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_DNSLINK_NOT_FOUND'
}

/** The reasons a record can be rejected, as short stable words (shown by the CLI and the UI). */
export type RecordInvalidReason =
  | 'too-large'
  | 'malformed'
  | 'missing-signature-v2'
  | 'unsupported-validity-type'
  | 'public-key-unknown'
  | 'name-mismatch'
  | 'signature-invalid'
  | 'field-mismatch'
  | 'expired'
  | 'invalid-value'

/** Base of every record verdict error. */
export class RecordInvalidError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_RECORD_INVALID'
  readonly reason: RecordInvalidReason = 'malformed'
}

/** The record is larger than the 10 KiB the IPNS spec allows. */
export class RecordTooLargeError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_RECORD_TOO_LARGE'
  override readonly reason = 'too-large'
}

/** The bytes are not a protobuf IpnsEntry, or its `data` is not the DAG-CBOR map the spec requires. */
export class RecordMalformedError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_RECORD_MALFORMED'
  override readonly reason = 'malformed'
}

/** A V1-only record: no `signatureV2`/`data`. Such records are no longer accepted by the spec. */
export class SignatureV2MissingError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_SIGNATURE_V2_MISSING'
  override readonly reason = 'missing-signature-v2'
}

/** The validity type is not EOL (the only one the spec defines). */
export class UnsupportedValidityTypeError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_UNSUPPORTED_VALIDITY_TYPE'
  override readonly reason = 'unsupported-validity-type'
}

/** The signing key cannot be known: the record embeds none and no (identity-hash) name was given. */
export class PublicKeyUnknownError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_PUBLIC_KEY_UNKNOWN'
  override readonly reason = 'public-key-unknown'
}

/** The record was signed by a key other than the one the expected name stands for. */
export class NameMismatchError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_NAME_MISMATCH'
  override readonly reason = 'name-mismatch'
}

/** `signatureV2` does not verify over the record's `data`. */
export class SignatureInvalidError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_SIGNATURE_INVALID'
  override readonly reason = 'signature-invalid'
}

/** A V1 protobuf field differs from the signed CBOR field of the same meaning. */
export class FieldMismatchError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_FIELD_MISMATCH'
  override readonly reason = 'field-mismatch'
  constructor (message: string, readonly field: string, options?: ErrorOptions) {
    super(message, options)
  }
}

/** The record's EOL validity lies in the past. */
export class RecordExpiredError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_RECORD_EXPIRED'
  override readonly reason = 'expired'
}

/** The signed value is not a content path (it must start with `/`). */
export class InvalidValueError extends RecordInvalidError {
  static override readonly code = 'ERR_IPNS_INVALID_VALUE'
  override readonly reason = 'invalid-value'
}

/** The outcome of publishing to one target (a delegated router URL, or `libp2p`). */
export interface PublishTargetResult {
  target: string
  ok: boolean
  /** The HTTP status, for delegated routers. */
  status?: number | undefined
  error?: string | undefined
}

/** Publishing reached no target at all; `results` says what each one answered. */
export class PublishFailedError extends CairnError {
  static override readonly code: string = 'ERR_IPNS_PUBLISH_FAILED'
  constructor (message: string, readonly results: PublishTargetResult[], options?: ErrorOptions) {
    super(message, options)
  }
}
