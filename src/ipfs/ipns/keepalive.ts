/**
 * Pieces for keeping a name alive; the UI runs the timers. `republish` re-signs the latest value
 * with a higher sequence and a fresh validity; `exportRecord` hands out the signed bytes so any
 * republisher can carry them; `expiresSoon` tells when to act.
 */
import { RecordNotFoundError } from './errors.js'
import { inspectRecord, parseRFC3339 } from './inspect.js'
import { nameFromPublicKey, parseName } from './names.js'
import { publishWithKey } from './publish.js'
import { decodeRecord } from './record-codec.js'
import type { ValidRecord } from './inspect.js'
import type { IPNSName } from './names.js'
import type { PublishComponents, PublishOptions, PublishResult } from './publish.js'
import type { NameStateStore } from './records.js'
import type { AbortOptions } from '../../core/options.js'

/**
 * Re-signs the last value published (or accepted) for the key's name with a higher sequence and
 * a fresh lifetime, and publishes it. Throws `RecordNotFoundError` if nothing was published yet.
 */
export async function republish (components: PublishComponents, keyName: string, options: PublishOptions = {}): Promise<PublishResult> {
  const privateKey = await components.keys.privateKey(keyName, options)
  const name = nameFromPublicKey(privateKey.publicKey)
  const last = (await components.state.get(name, options))?.lastRecord
  if (last === undefined) {
    throw new RecordNotFoundError(`Nothing was published under key "${keyName}" (${name.k51}) yet, so there is nothing to republish. Publish a value first.`)
  }
  // The old record may have expired; only its value matters here, so check it as of time 0.
  const verdict = await inspectRecord(last, { name, now: 0 })
  if (!verdict.valid) {
    throw new RecordNotFoundError(`The stored record for "${keyName}" is unusable (${verdict.message}). Publish the value again.`)
  }
  return await publishWithKey(components, privateKey, verdict.value, options)
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
