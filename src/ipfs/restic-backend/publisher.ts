/**
 * Publishing a repository's root under its name without ever dropping another device's writes.
 *
 * Each attempt resolves the name afresh (every router and record peer is asked; nothing cached).
 * When the name moved away from this backend's base, the two roots are merged three-way
 * (`merge.ts`) and the backend adopts the merged root (its new base is the root it merged with).
 * Then the root is signed with a sequence above every one seen, sent, and the name resolved again:
 * when another device won the race (a higher sequence, or the same one with a later expiry, or a
 * router refused ours), the next attempt merges with its root, after a growing, jittered pause.
 */
import { emit, withTimeout } from '../../core/options.js'
import { briefCause } from '../../core/errors.js'
import { readBlock } from '../car/walk.js'
import { inspectRecord } from '../ipns/inspect.js'
import { publishWithKey } from '../ipns/publish.js'
import { resolveRecord } from '../ipns/resolve.js'
import { nameFromPublicKey } from '../ipns/names.js'
import { RepoNameValueError, RepoPublishConflictError, RepoPublishError, RepoRootUnreachableError } from './errors.js'
import { mergeRoots } from './merge.js'
import type { MergeRootsInit } from './merge.js'
import type { IpfsBackendEvents, IpfsBackendInit } from './init.js'
import type { OperationOptions } from '../../core/options.js'
import type { IPNSComponents, PublishResult } from '../ipns/publish.js'
import type { IPNSName } from '../ipns/names.js'
import type { Blockstore } from 'interface-blockstore'
import type { PrivateKey } from '@libp2p/interface'
import { CID } from 'multiformats/cid'

/** What the publisher needs from the backend (all called inside the backend's write queue). */
export interface PublishHost extends MergeRootsInit {
  init: IpfsBackendInit
  blockstore: Pick<Blockstore, 'get' | 'has'>
  components: () => IPNSComponents
  /** The durable root (flushed). */
  root: () => CID
  /** The root this backend's changes are relative to. */
  base: () => CID | undefined
  /** Makes `root` the durable root (pinned, previous unpinned), with `base` as its new base. */
  adopt: (root: CID, base: CID, options: OperationOptions<IpfsBackendEvents>) => Promise<void>
  /** `root` is now what the name points at. */
  published: (root: CID) => void
  /** Runs right before each publish attempt with the root about to be published (a keeper takes it); throwing publishes nothing. */
  beforePublish: (root: CID, options: OperationOptions<IpfsBackendEvents>) => Promise<void>
}

interface Resolved { root: CID, sequence: bigint, record: Uint8Array }

/** The name's current root, asked of every source; undefined when it has no record yet. */
async function resolveFresh (host: PublishHost, name: IPNSName, options: OperationOptions<IpfsBackendEvents>): Promise<Resolved | undefined> {
  const components = host.components()
  let value: string
  let sequence: bigint
  let record: Uint8Array
  try {
    const best = await resolveRecord(components, name, { signal: options.signal })
    ;({ value, sequence, bytes: record } = best.record)
  } catch (err) {
    if (options.signal?.aborted === true) throw err
    const errName = (err as Error).name
    if (errName === 'RecordNotFoundError') return undefined
    if (errName !== 'SequenceRollbackError') throw err
    // The routers are behind a record this device has seen: that record is the name's state.
    const held = (await components.state.get(name, options))?.lastRecord
    const verdict = held === undefined ? undefined : await inspectRecord(held, { name, now: 0 })
    if (verdict?.valid !== true) throw err
    ;({ value, sequence, bytes: record } = verdict)
  }
  const m = /^\/ipfs\/([^/]+)\/?$/.exec(value)
  let root: CID | undefined
  try { root = m?.[1] === undefined ? undefined : CID.parse(m[1]) } catch { root = undefined }
  if (root === undefined) throw new RepoNameValueError(`${name.k51} now points at "${value}", not at a repository root "/ipfs/<cid>", so ${host.location} was not published over it. Check who else publishes this name.`)
  return { root, sequence, record }
}

async function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => { signal?.removeEventListener('abort', stop); resolve() }, ms)
    const stop = (): void => { clearTimeout(t); reject(signal?.reason) }
    signal?.addEventListener('abort', stop, { once: true })
  })
}

/** Merges with the name's root when it moved, then publishes; retries lost races. */
export async function publishMerging (host: PublishHost, key: PrivateKey, options: OperationOptions<IpfsBackendEvents>): Promise<PublishResult> {
  const name = nameFromPublicKey(key.publicKey)
  const attempts = Math.max(1, host.init.publishAttempts ?? 8)
  let lastError: unknown
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(Math.min(200 * 2 ** (attempt - 2), 5000) + Math.floor(Math.random() * 250), options.signal)
    let root = host.root()
    const theirs = await resolveFresh(host, name, options)
    const base = host.base()
    if (theirs !== undefined && !theirs.root.equals(root) && (base === undefined || !theirs.root.equals(base))) {
      root = await merge(host, { base, ours: root, theirs: theirs.root }, options)
      if (root.equals(theirs.root)) {
        // Everything this device wrote is in the name's root already: nothing to publish.
        host.published(root)
        emit(options, 'restic-ipfs:publish:done', { name: name.k51, root, sequence: theirs.sequence })
        return { name, value: `/ipfs/${root.toString()}`, sequence: theirs.sequence, record: theirs.record, results: [] }
      }
    }
    await host.beforePublish(root, options)
    let result: PublishResult
    try {
      result = await publishWithKey(host.components(), key, root, { signal: options.signal })
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      if ((err as Error).name !== 'PublishFailedError') {
        throw new RepoPublishError(`The repository's new root ${root.toString()} is pinned, but publishing its IPNS name failed: ${briefCause(err)}. Check the delegated routers and publish again (closing the repository retries).`, { cause: err })
      }
      // Refused everywhere: typically another device's record with the same sequence won.
      lastError = err
      continue
    }
    const now = await resolveFresh(host, name, options).catch((err: unknown) => {
      if (options.signal?.aborted === true) throw err
      return undefined
    })
    if (now === undefined || now.root.equals(root)) {
      host.published(root)
      emit(options, 'restic-ipfs:publish:done', { name: name.k51, root, sequence: result.sequence })
      return result
    }
    lastError = new Error(`the name moved to ${now.root.toString()} (sequence ${now.sequence}) right after sequence ${result.sequence} was sent`)
  }
  const why = lastError instanceof Error ? briefCause(lastError) : 'another device kept publishing'
  if ((lastError as Error | undefined)?.name === 'PublishFailedError') {
    throw new RepoPublishError(`The repository's new root ${host.root().toString()} is pinned, but publishing its IPNS name failed ${attempts} times: ${why}. Check the delegated routers and publish again (closing the repository retries).`, { cause: lastError })
  }
  throw new RepoPublishConflictError(`${host.location} was not published: the name moved ${attempts} times while merging and publishing (${why}). Another device is writing to it; this device's root ${host.root().toString()} stays pinned. Publish again in a moment (closing the repository retries).`, { cause: lastError })
}

async function merge (host: PublishHost, roots: { base: CID | undefined, ours: CID, theirs: CID }, options: OperationOptions<IpfsBackendEvents>): Promise<CID> {
  const timeoutMs = host.init.openTimeoutMs ?? 30_000
  const { signal, clear } = withTimeout(options.signal, timeoutMs * 4)
  try {
    try {
      await readBlock(host.blockstore, roots.theirs, { signal })
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      throw new RepoRootUnreachableError(`The name of ${host.location} moved to ${roots.theirs.toString()}, another device's root, which could not be fetched: ${briefCause(err)}. Nothing was published (it would have dropped that device's snapshots). Connect to a peer that holds it and publish again.`, { cause: err })
    }
    let merged: Awaited<ReturnType<typeof mergeRoots>>
    try {
      merged = await mergeRoots(host, roots, { signal, onProgress: options.onProgress })
    } catch (err) {
      if (options.signal?.aborted === true || (err as Error).name === 'RepoConfigConflictError') throw err
      throw new RepoRootUnreachableError(`The name of ${host.location} moved to ${roots.theirs.toString()}, another device's root, whose folders could not be read: ${briefCause(err)}. Nothing was published (it would have dropped that device's snapshots). Connect to a peer that holds it and publish again.`, { cause: err })
    }
    await host.adopt(merged.root, roots.theirs, { ...options, signal })
    return merged.root
  } finally {
    clear()
  }
}
