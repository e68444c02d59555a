/**
 * The records a browser node holds for its peers: a `RecordStore` (for `serveRecords`). A pushed
 * record must be valid and not below the highest sequence seen for its name. For a name this node
 * follows (published or resolved here) it goes into the persistent name state, so a connected
 * tab's publish updates what this tab knows at once; for any other name it is kept in a small
 * in-memory cache (at most `maxCached` names, least recently used dropped), as a DHT node would
 * hold it, without letting peers fill the browser's storage. GET_VALUE answers from both.
 */
import { decode as decodeDigest } from 'multiformats/hashes/digest'
import { RoutingError, SequenceRollbackError } from './errors.js'
import { inspectRecord } from './inspect.js'
import { nameFromMultihash } from './names.js'
import type { ValidRecord } from './inspect.js'
import type { RecordStore } from './libp2p.js'
import type { IPNSName } from './names.js'
import type { NameStateStore } from './records.js'

const PREFIX = '/ipns/'

/** The name a routing key (`/ipns/<multihash>`) is for; throws for other keys. */
export function nameFromRoutingKey (key: Uint8Array): IPNSName {
  const prefix = new TextDecoder().decode(key.subarray(0, PREFIX.length))
  if (prefix !== PREFIX) throw new RoutingError('Only IPNS records (keys starting with /ipns/) are held here.')
  return nameFromMultihash(decodeDigest(key.subarray(PREFIX.length)))
}

export interface HeldRecordsOptions {
  /** Called after a pushed record for a followed name was taken into the name state. */
  onTaken?: ((name: IPNSName, sequence: bigint) => void) | undefined
  /** Names of others held in memory. @default 256 */
  maxCached?: number | undefined
}

/** Throws unless `record` (valid) may replace `held` (undefined: nothing held). Returns false when `held` is as good. */
async function replaces (name: IPNSName, record: ValidRecord, held: Uint8Array | undefined, highestSeen: bigint | undefined): Promise<boolean> {
  if (highestSeen !== undefined && record.sequence < highestSeen) {
    throw new SequenceRollbackError(`Sequence ${record.sequence} is below ${highestSeen}, the highest seen for ${name.k51}.`, record.sequence, highestSeen)
  }
  if (held === undefined) return true
  const current = await inspectRecord(held, { name, now: 0 })
  if (!current.valid || record.sequence > current.sequence) return true
  // same sequence: keep the one that lives longer
  return record.sequence === current.sequence && record.expiresAt > current.expiresAt
}

export function heldRecords (state: NameStateStore, options: HeldRecordsOptions = {}): RecordStore {
  const maxCached = options.maxCached ?? 256
  const cache = new Map<string, Uint8Array>()
  return {
    async get (key, opts) {
      const name = nameFromRoutingKey(key)
      for (const record of [(await state.get(name, opts))?.lastRecord, cache.get(name.k51)]) {
        if (record === undefined) continue
        const verdict = await inspectRecord(record, { name })
        if (verdict.valid) return record
      }
      return undefined
    },
    async put (key, record, opts) {
      const name = nameFromRoutingKey(key)
      const verdict = await inspectRecord(record, { name })
      if (!verdict.valid) throw verdict.error
      await state.withLock(name, async () => {
        const current = await state.get(name, opts)
        if (current !== undefined) {
          if (await replaces(name, verdict, current.lastRecord, current.highestSequence)) {
            await state.observe(name, verdict.sequence, record, opts)
            options.onTaken?.(name, verdict.sequence)
          }
          return
        }
        const cached = cache.get(name.k51)
        if (!await replaces(name, verdict, cached, undefined)) return
        cache.delete(name.k51)
        cache.set(name.k51, Uint8Array.from(record))
        if (cache.size > maxCached) {
          const oldest = cache.keys().next().value
          if (oldest !== undefined) cache.delete(oldest)
        }
      })
    }
  }
}
