/**
 * Pieces for keeping a name alive; the UI runs the timers. `republish` re-signs the latest value
 * with a higher sequence and a fresh validity, or, with `resignWithinMs`, re-sends the same signed
 * record while it is far from expiry; `exportRecord` hands out the signed bytes so any
 * republisher can carry them; `expiresSoon` tells when to act.
 */
import { RecordNotFoundError } from './errors.js'
import { inspectRecord, parseRFC3339 } from './inspect.js'
import { nameFromPublicKey, parseName } from './names.js'
import { publishWithKey, pushRecord } from './publish.js'
import { decodeRecord } from './record-codec.js'
import type { ValidRecord } from './inspect.js'
import type { IPNSName } from './names.js'
import type { PublishComponents, PublishOptions, PublishResult } from './publish.js'

export interface RepublishOptions extends PublishOptions {
  /**
   * Re-sign only when the last record expires within this many ms (or is already invalid);
   * otherwise the same signed record is sent again, so the sequence stays where it is. Without it
   * the value is always re-signed with a higher sequence (what an explicit `republish` asks for).
   */
  resignWithinMs?: number | undefined
}

export interface RepublishResult extends PublishResult {
  /** True when the stored record was sent again unchanged rather than re-signed. */
  resent: boolean
}
import type { NameStateStore } from './records.js'
import type { AbortOptions } from '../../core/options.js'

/**
 * Re-signs the last value published (or accepted) for the key's name with a higher sequence and
 * a fresh lifetime, and publishes it. Throws `RecordNotFoundError` if nothing was published yet.
 */
export async function republish (components: PublishComponents, keyName: string, options: RepublishOptions = {}): Promise<RepublishResult> {
  const privateKey = await components.keys.privateKey(keyName, options)
  const name = nameFromPublicKey(privateKey.publicKey)
  const stored = await components.state.get(name, options)
  const last = stored?.lastRecord
  if (last === undefined) {
    throw new RecordNotFoundError(`Nothing was published under key "${keyName}" (${name.k51}) yet, so there is nothing to republish. Publish a value first.`)
  }
  // The old record may have expired; only its value matters here, so check it as of time 0.
  const verdict = await inspectRecord(last, { name, now: 0 })
  if (!verdict.valid) {
    throw new RecordNotFoundError(`The stored record for "${keyName}" is unusable (${verdict.message}). Publish the value again.`)
  }
  if (options.resignWithinMs !== undefined) {
    const now = Date.now()
    const current = await inspectRecord(last, { name, now })
    const highest = stored?.highestSequence
    if (current.valid && current.expiresAt - now > options.resignWithinMs && (highest === undefined || current.sequence >= highest)) {
      const pushed = await pushRecord(components, last, { ...options, name })
      return { name, value: current.value, sequence: pushed.sequence, record: last, results: pushed.results, resent: true }
    }
  }
  return { ...await publishWithKey(components, privateKey, verdict.value, options), resent: false }
}

/** The latest signed record bytes known for a name, for a republisher to carry. */
export async function exportRecord (state: NameStateStore, name: string | IPNSName, options?: AbortOptions): Promise<Uint8Array> {
  const n = typeof name === 'string' ? parseName(name) : name
  const record = (await state.get(n, options))?.lastRecord
  if (record === undefined) {
    throw new RecordNotFoundError(`No record is stored for ${n.k51}. Publish or resolve the name first.`)
  }
  return record
}

/**
 * True when the record's EOL is within `marginMs` of `now` (or past). Takes record bytes or a
 * checked record; bytes are only decoded, not verified.
 */
export function expiresSoon (record: Uint8Array | Pick<ValidRecord, 'expiresAt'>, now: number, marginMs: number): boolean {
  const expiresAt = record instanceof Uint8Array
    ? parseRFC3339(new TextDecoder().decode(decodeRecord(record).data.Validity))
    : record.expiresAt
  return expiresAt - now <= marginMs
}
