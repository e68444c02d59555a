/**
 * Publishing: sign a record with a stored key at a sequence above every one seen, then send it to
 * each delegated router (`PUT /routing/v1/ipns/<name>`), to each connected peer that holds records
 * (Kademlia PUT_VALUE, `./libp2p.ts`) and, when a Helia node is given, through its routing.
 */
import { emit } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import { PublishFailedError, SequenceRollbackError } from './errors.js'
import { inspectRecord, validateRecord } from './inspect.js'
import { nameFromPublicKey } from './names.js'
import { createRecord, normaliseRecordValue } from './records.js'
import { hasTargets, recordSinks, recordSources } from './sources.js'
import type { PublishTargetResult } from './errors.js'
import type { KeyStore } from './keys.js'
import type { IPNSName } from './names.js'
import type { NameStateStore } from './records.js'
import type { RecordTargets } from './sources.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { PrivateKey } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** What publish and resolve work with. */
export interface IPNSComponents extends RecordTargets {
  /** Per-name sequence state; required so sequences never go down. */
  state: NameStateStore
}

export interface PublishComponents extends IPNSComponents {
  keys: KeyStore
}

export type PublishEvents =
  | ProgressEvent<'ipns:publish:lookup', { target: string, sequence?: bigint | undefined, error?: string | undefined }>
  | ProgressEvent<'ipns:publish:signed', { name: string, sequence: bigint, value: string }>
  | ProgressEvent<'ipns:publish:target', PublishTargetResult>

export interface PublishOptions extends OperationOptions<PublishEvents> {
  /** Signature validity in ms. @default 48 h */
  lifetimeMs?: number | undefined
  /** Cache TTL in ms. @default 5 min */
  ttlMs?: number | undefined
  /** An explicit sequence; must be above every sequence seen. @default one above the highest seen */
  sequence?: bigint | undefined
  /** Per-request timeout in ms. @default 30 s */
  timeoutMs?: number | undefined
}

export interface PublishResult {
  name: IPNSName
  value: string
  sequence: bigint
  /** The signed record, `application/vnd.ipfs.ipns-record`. */
  record: Uint8Array
  /** One entry per target: each router, then each record peer (`/p2p/<id>`), then Helia routing. */
  results: PublishTargetResult[]
}

/** Publishes `value` under the key named `keyName` in the key store. */
export async function publish (components: PublishComponents, keyName: string, value: string | CID, options: PublishOptions = {}): Promise<PublishResult> {
  const privateKey = await components.keys.privateKey(keyName, options)
  return await publishWithKey(components, privateKey, value, options)
}

/** Asks every source (routers, record peers) for the name's current record; returns the highest valid sequence found. */
async function highestRemoteSequence (components: IPNSComponents, name: IPNSName, options: PublishOptions): Promise<bigint | undefined> {
  const sources = await recordSources(components, name, options)
  const found = await Promise.all(sources.map(async ({ source: target, get }) => {
    try {
      const bytes = await get()
      if (bytes === undefined) {
        emit(options, 'ipns:publish:lookup', { target })
        return undefined
      }
      const verdict = await inspectRecord(bytes, { name, now: 0 })
      if (!verdict.valid) {
        emit(options, 'ipns:publish:lookup', { target, error: `ignored an invalid record: ${verdict.message}` })
        return undefined
      }
      emit(options, 'ipns:publish:lookup', { target, sequence: verdict.sequence })
      return verdict
    } catch (err) {
      options.signal?.throwIfAborted()
      emit(options, 'ipns:publish:lookup', { target, error: (err as Error).message })
      return undefined
    }
  }))
  let highest: bigint | undefined
  for (const v of found) {
    if (v !== undefined && (highest === undefined || v.sequence > highest)) {
      highest = v.sequence
      await components.state.observe(name, v.sequence, v.bytes, options)
    }
  }
  return highest
}

function describeFailures (results: PublishTargetResult[]): string {
  return results.map(r => `${r.target}: ${r.error ?? 'failed'}`).join('; ')
}

function checkTargets (components: IPNSComponents): void {
  if (!hasTargets(components)) {
    throw new InvalidInputError('There is nowhere to publish to: give at least one delegated router URL, or a libp2p node connected to peers that hold records.')
  }
}

/** Sends signed record bytes to every target (routers by PUT, record peers by PUT_VALUE); reports, never throws, per target. */
async function sendRecord (components: IPNSComponents, name: IPNSName, record: Uint8Array, options: PublishOptions): Promise<PublishTargetResult[]> {
  const sinks = await recordSinks(components, name, record, options)
  return await Promise.all(sinks.map(async ({ target, put }) => {
    let result: PublishTargetResult
    try {
      const status = await put()
      result = status === undefined ? { target, ok: true } : { target, ok: true, status }
    } catch (err) {
      options.signal?.throwIfAborted()
      result = { target, ok: false, error: (err as Error).message }
    }
    emit(options, 'ipns:publish:target', result)
    return result
  }))
}

/** Publishes `value` signed by `privateKey` (used by `publish` and `republish`). */
export async function publishWithKey (components: IPNSComponents, privateKey: PrivateKey, value: string | CID, options: PublishOptions = {}): Promise<PublishResult> {
  const name = nameFromPublicKey(privateKey.publicKey)
  const path = normaliseRecordValue(value)
  checkTargets(components)
  // One publish per name at a time in this context, so two callers never pick the same sequence.
  const { sequence, record } = await components.state.withLock(name, async () => {
    await highestRemoteSequence(components, name, options)
    const seen = (await components.state.get(name, options))?.highestSequence
    let sequence: bigint
    if (options.sequence !== undefined) {
      if (seen !== undefined && options.sequence <= seen) {
        throw new SequenceRollbackError(`Sequence ${options.sequence} is not above ${seen}, the highest already seen for ${name.k51}. Publish without an explicit sequence, or use one above ${seen}.`, options.sequence, seen)
      }
      sequence = options.sequence
    } else {
      sequence = seen === undefined ? 0n : seen + 1n
    }
    const record = await createRecord(privateKey, path, { sequence, lifetimeMs: options.lifetimeMs, ttlMs: options.ttlMs })
    // Remember the sequence before sending, so a crash mid-publish can never reuse it.
    await components.state.observe(name, sequence, record, options)
    return { sequence, record }
  })
  emit(options, 'ipns:publish:signed', { name: name.k51, sequence, value: path })
  const results = await sendRecord(components, name, record, options)
  if (!results.some(r => r.ok)) {
    throw new PublishFailedError(`The record for ${name.k51} (sequence ${sequence}) was signed but no target accepted it: ${describeFailures(results)}. Check the routers and the peer connections, and publish again; the next attempt uses a higher sequence.`, results)
  }
  return { name, value: path, sequence, record, results }
}

export interface PushResult {
  name: IPNSName
  sequence: bigint
  results: PublishTargetResult[]
}

export interface PushOptions extends PublishOptions {
  /** The name the record must belong to (required for records that do not embed their key). */
  name?: string | IPNSName | undefined
}

/**
 * Carries an already signed record, unchanged, to every target: how a republisher keeps a name
 * alive without its key (the bytes come from `exportRecord`). The record must be valid and not
 * below a sequence already seen for its name.
 */
export async function pushRecord (components: IPNSComponents, record: Uint8Array, options: PushOptions = {}): Promise<PushResult> {
  checkTargets(components)
  const checked = await validateRecord(record, { name: options.name })
  const name = checked.name
  const seen = (await components.state.get(name, options))?.highestSequence
  if (seen !== undefined && checked.sequence < seen) {
    throw new SequenceRollbackError(`This record has sequence ${checked.sequence}, but ${seen} was already seen for ${name.k51}; carrying it would roll the name back. Export the newest record and push that.`, checked.sequence, seen)
  }
  await components.state.observe(name, checked.sequence, record, options)
  const results = await sendRecord(components, name, record, options)
  if (!results.some(r => r.ok)) {
    throw new PublishFailedError(`No target accepted the record for ${name.k51} (sequence ${checked.sequence}): ${describeFailures(results)}. Check the routers and the peer connections, and try again.`, results)
  }
  return { name, sequence: checked.sequence, results }
}
