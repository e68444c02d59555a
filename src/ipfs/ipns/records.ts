/**
 * Signing IPNS records (V1+V2 signatures, EOL validity, TTL) with the `ipns` package, and the
 * per-name state that keeps sequence numbers going up: the highest sequence seen, and the last
 * record this node signed.
 */
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { Key } from 'interface-datastore'
import { base64 } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'
import { InvalidInputError } from '../../core/errors.js'
import type { IPNSName } from './names.js'
import type { AbortOptions } from '../../core/options.js'
import type { PrivateKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** @default 48 hours, as Kubo and Helia. */
export const DEFAULT_LIFETIME_MS = 48 * 60 * 60 * 1000
/** @default 5 minutes. */
export const DEFAULT_TTL_MS = 5 * 60 * 1000

export interface CreateRecordOptions {
  sequence: bigint
  /** How long the signature stays valid, in ms. @default DEFAULT_LIFETIME_MS */
  lifetimeMs?: number | undefined
  /** How long resolvers may cache the record, in ms. @default DEFAULT_TTL_MS */
  ttlMs?: number | undefined
}

/** Normalises what a user publishes: a CID (→ `/ipfs/<cidv1>`), or a path `/ipfs/…`, `/ipns/…`. */
export function normaliseRecordValue (value: string | CID): string {
  if (typeof value !== 'string') return `/ipfs/${value.toV1().toString()}`
  const v = value.trim()
  if (v.startsWith('/ipfs/') || v.startsWith('/ipns/')) {
    const root = v.split('/')[2] ?? ''
    if (root === '') throw new InvalidInputError(`"${value}" has no CID or name after the namespace. Give e.g. /ipfs/bafy….`)
    if (v.startsWith('/ipfs/')) {
      try { CID.parse(root) } catch (err) { throw new InvalidInputError(`"${root}" in "${value}" is not a CID. Give e.g. /ipfs/bafy….`, { cause: err }) }
    }
    return v
  }
  if (v.startsWith('ipfs://')) return normaliseRecordValue('/ipfs/' + v.slice('ipfs://'.length))
  let cid: CID
  try {
    cid = CID.parse(v.split('/')[0] ?? '')
  } catch (err) {
    throw new InvalidInputError(`"${value}" is neither a CID nor a /ipfs/ or /ipns/ path. Give what to publish as bafy… or /ipfs/bafy…/path.`, { cause: err })
  }
  const rest = v.slice((v.split('/')[0] ?? '').length)
  return `/ipfs/${cid.toV1().toString()}${rest}`
}

/** Signs a V1+V2 record and returns its wire bytes (`application/vnd.ipfs.ipns-record`). */
export async function createRecord (privateKey: PrivateKey, value: string | CID, options: CreateRecordOptions): Promise<Uint8Array> {
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_LIFETIME_MS
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS
  if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) throw new InvalidInputError(`The lifetime must be a positive duration, not ${lifetimeMs} ms.`)
  if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new InvalidInputError(`The TTL must be zero or a positive duration, not ${ttlMs} ms.`)
  if (options.sequence < 0n) throw new InvalidInputError('The sequence number must not be negative.')
  const record = await createIPNSRecord(privateKey, normaliseRecordValue(value), options.sequence, Math.round(lifetimeMs), {
    v1Compatible: true,
    ttlNs: BigInt(Math.round(ttlMs)) * 1_000_000n
  })
  return marshalIPNSRecord(record)
}

/** What this node remembers about one name. */
export interface NameState {
  /** The highest sequence number seen for the name, from anyone. */
  highestSequence: bigint
  /** The last record this node signed or accepted for the name, if any. */
  lastRecord?: Uint8Array | undefined
}

const STATE_PREFIX = '/cairn/ipns/names'

/** Per-name sequence bookkeeping in a Datastore (datastore-idb in the page, a file store in Node). */
export class NameStateStore {
  private readonly locks = new Map<string, Promise<unknown>>()

  constructor (private readonly datastore: Datastore) {}

  /**
   * Runs `fn` while holding this store's lock for `name`, so two publishes through the same store
   * never pick the same sequence. (Separate tabs or processes are not covered: each re-reads the
   * routers before signing, which narrows but does not close that window.)
   */
  async withLock<T> (name: IPNSName, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name.k51) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(fn)
    const tail = run.catch(() => {})
    this.locks.set(name.k51, tail)
    try {
      return await run
    } finally {
      if (this.locks.get(name.k51) === tail) this.locks.delete(name.k51)
    }
  }

  private key (name: IPNSName): Key {
    return new Key(`${STATE_PREFIX}/${name.k51}`)
  }

  async get (name: IPNSName, options?: AbortOptions): Promise<NameState | undefined> {
    const key = this.key(name)
    if (!await this.datastore.has(key, options)) return undefined
    const json = JSON.parse(new TextDecoder().decode(await this.datastore.get(key, options))) as { seq: string, record?: string }
    return {
      highestSequence: BigInt(json.seq),
      lastRecord: json.record === undefined ? undefined : base64.baseDecode(json.record)
    }
  }

  /** Records a sequence as seen; never lowers the stored one. Keeps `record` if it is the newest. */
  async observe (name: IPNSName, sequence: bigint, record?: Uint8Array, options?: AbortOptions): Promise<NameState> {
    const current = await this.get(name, options)
    if (current !== undefined && current.highestSequence > sequence) return current
    const next: NameState = {
      highestSequence: sequence,
      lastRecord: record ?? (current?.highestSequence === sequence ? current.lastRecord : undefined)
    }
    const json: { seq: string, record?: string } = { seq: sequence.toString() }
    if (next.lastRecord !== undefined) json.record = base64.baseEncode(next.lastRecord)
    await this.datastore.put(this.key(name), new TextEncoder().encode(JSON.stringify(json)), options)
    return next
  }
}
