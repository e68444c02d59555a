/**
 * Pins and garbage collection on a Helia node, plus "add, then pin" as one safe step.
 *
 * Rules kept here:
 * - an add pins only after its whole DAG is stored; a cancelled add pins nothing;
 * - pinning never stops half-way on abort (Helia marks blocks one by one and writes the pin
 *   record last, so an interrupted pin would leave blocks marked but no pin to remove);
 * - garbage collection excludes adds and CAR imports (see `lock.ts`), so blocks written by an add
 *   that has not pinned yet are never collected; Helia itself refuses to delete a pinned block.
 */
import { AbortError, isAbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { addAll } from '../add/add.js'
import { walkDag } from '../car/walk.js'
import { NotPinnedError, PinBlockMissingError } from './errors.js'
import { withExclusiveLock, withSharedLock } from './lock.js'
import { leafSkippingWalker } from './leaf-skipping-walker.js'
import { DagTracker } from './dag-tracker.js'
import { datastorePinRecords, pinBlocks, pinMany, pinnedBlockKey, unpinBlocks } from './pin-records.js'
import { blockCidOfKey, collectGarbageBatched, dagBlocksBatched, unpinByScan } from './batched.js'
import type { BatchStores } from './idb-stores.js'
import * as dagPb from '@ipld/dag-pb'
import * as raw from 'multiformats/codecs/raw'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { PinRecordStore } from './pin-records.js'
import type { AddEntry, AddedEntry, AddOptions } from '../add/add.js'
import type { Helia } from '@helia/interface'
import type { CID } from 'multiformats/cid'

/** What pinning needs from a node (a whole `Helia` fits). */
export type PinNode = Pick<Helia, 'pins' | 'blockstore'>

export type PinProgressEvents =
  | ProgressEvent<'pin:add:block', { root: CID, cid: CID }>
  | ProgressEvent<'pin:rm:block', { root: CID, cid: CID }>

export type GcProgressEvents =
  | ProgressEvent<'gc:deleted', { cid: CID, bytes: number }>
  | ProgressEvent<'gc:error', { cid: CID, error: Error }>

export interface PinOptions extends OperationOptions<PinProgressEvents> {
  /**
   * The caller knows every block is local (it has just written the whole DAG), so the
   * completeness walk is skipped; Helia's own walk still runs offline and fails on a gap.
   */
  complete?: boolean | undefined
  /** Stored with the pin (Helia pin metadata), e.g. `{ name: 'photos' }`. */
  metadata?: Record<string, string | number | boolean> | undefined
}

export interface PinResult {
  cid: CID
  /** Blocks newly marked as pinned by this pin (0 when it was pinned already). */
  blocks: number
  alreadyPinned: boolean
}

export interface PinInfo {
  cid: CID
  depth: number
  metadata: Record<string, string | number | boolean>
}

export interface GcResult {
  blocks: number
  bytes: number
}

export interface BatchOptions {
  /**
   * Batched access to the node's own stores (`openIdbBatchStores`): unpin and GC then read and
   * delete thousands of blocks per transaction. Without it, one call per block through Helia.
   */
  stores?: BatchStores | undefined
}

function errorName (err: unknown): string {
  return (err as { name?: string } | null)?.name ?? ''
}

/**
 * Pin `cid` and everything under it. The DAG must be complete in the local store: it is checked
 * first, so a missing block fails before anything is marked.
 */
export async function pin (node: PinNode, cid: CID, options: PinOptions = {}): Promise<PinResult> {
  options.signal?.throwIfAborted()
  if (await isPinned(node, cid, options)) return { cid, blocks: 0, alreadyPinned: true }
  try {
    if (options.complete !== true) for await (const _ of walkDag(node.blockstore, cid, { signal: options.signal })) { /* completeness check */ }
  } catch (err) {
    if (errorName(err) === 'MissingBlockError') {
      throw new PinBlockMissingError(`Cannot pin ${cid}: ${(err as Error).message}`, { cause: err })
    }
    throw err
  }
  options.signal?.throwIfAborted()
  // From here on the pin runs to the end: no signal, and offline (every block is local).
  // Once completeness is known, raw leaves need not be read back to be pinned.
  const addOptions: Record<string, unknown> = { offline: true, walker: leafSkippingWalker }
  if (options.metadata !== undefined) addOptions.metadata = options.metadata
  let blocks = 0
  try {
    for await (const block of node.pins.add(cid, addOptions)) {
      blocks++
      emit(options, 'pin:add:block', { root: cid, cid: block })
    }
  } catch (err) {
    if (errorName(err) === 'AlreadyPinnedError') return { cid, blocks: 0, alreadyPinned: true }
    throw err
  }
  return { cid, blocks, alreadyPinned: false }
}

/**
 * Remove the pin on `cid`; its blocks become collectable unless another pin holds them.
 *
 * With the node's datastore at hand (a whole Helia), the DAG is walked once (raw leaves are not
 * read) and the records are updated in batches, each block released once and only by this root
 * (see `unpinBlocks`). Otherwise, or for a pin Helia made with a depth limit, Helia's `pins.rm`.
 */
export async function unpin (node: PinNode & Partial<Pick<Helia, 'datastore'>>, cid: CID, options: OperationOptions<PinProgressEvents> & BatchOptions = {}): Promise<{ cid: CID, blocks: number }> {
  options.signal?.throwIfAborted()
  if (!(await isPinned(node, cid, options))) {
    throw new NotPinnedError(`${cid} is not pinned, so there is nothing to unpin. List the pins to see which CIDs are pinned.`)
  }
  const stores = options.stores
  if (stores !== undefined && (await node.pins.get(cid, { signal: options.signal })).depth === Infinity) {
    // From here on the unpin runs to the end (no signal).
    const scanned = await unpinByScan(stores.records, cid)
    if (scanned !== undefined) {
      for (const key of scanned.keys) emit(options, 'pin:rm:block', { root: cid, cid: blockCidOfKey(key) })
      return { cid, blocks: scanned.released }
    }
  }
  if ((stores !== undefined || node.datastore !== undefined) && (await node.pins.get(cid, { signal: options.signal })).depth === Infinity) {
    const dag = stores !== undefined
      ? await dagBlocksBatched(stores.blocks, cid, options.signal)
      : await dagBlocks(node.blockstore, cid, options.signal)
    if (dag !== undefined) {
      // From here on the unpin runs to the end (no signal).
      const records = stores?.records ?? datastorePinRecords(node.datastore!)
      const blocks = await unpinBlocks(records, cid, dag.keys())
      for (const block of dag.values()) emit(options, 'pin:rm:block', { root: cid, cid: block })
      return { cid, blocks }
    }
  }
  let blocks = 0
  const rmOptions: Record<string, unknown> = { offline: true }
  for await (const block of node.pins.rm(cid, rmOptions)) {
    blocks++
    emit(options, 'pin:rm:block', { root: cid, cid: block })
  }
  return { cid, blocks }
}

/**
 * Every block of a dag-pb / raw DAG, each once, keyed by `pinnedBlockKey`, reading only dag-pb
 * blocks. Undefined for another codec (the caller then uses Helia's walk). A block missing from
 * the store is listed but not descended into: its subtree keeps its marks (kept, never lost).
 */
async function dagBlocks (blockstore: PinNode['blockstore'], root: CID, signal?: AbortSignal): Promise<Map<string, CID> | undefined> {
  const seen = new Map<string, CID>([[pinnedBlockKey(root), root]])
  const stack: CID[] = [root]
  while (stack.length > 0) {
    signal?.throwIfAborted()
    const cid = stack.pop()!
    if (cid.code === raw.code) continue
    if (cid.code !== dagPb.code) return undefined
    let bytes: Uint8Array
    try {
      bytes = await toBytes(blockstore.get(cid, { offline: true, signal } as AbortOptions) as unknown as AsyncIterable<Uint8Array>)
    } catch (err) {
      if (isAbortError(err)) throw err
      continue
    }
    for (const link of dagPb.decode(bytes).Links) {
      const key = pinnedBlockKey(link.Hash)
      if (seen.has(key)) continue
      seen.set(key, link.Hash)
      stack.push(link.Hash)
    }
  }
  return seen
}

async function toBytes (chunks: AsyncIterable<Uint8Array> | Uint8Array): Promise<Uint8Array> {
  if (chunks instanceof Uint8Array) return chunks
  const parts: Uint8Array[] = []
  let size = 0
  for await (const c of chunks) { parts.push(c); size += c.byteLength }
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(size)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

/** True when `cid` is pinned as a root (not merely held by another pin). */
export async function isPinned (node: PinNode, cid: CID, options: AbortOptions = {}): Promise<boolean> {
  try {
    await node.pins.get(cid, { signal: options.signal })
    return true
  } catch (err) {
    if (errorName(err) === 'NotFoundError') return false
    throw err
  }
}

/** Every pinned root. */
export async function * listPins (node: PinNode, options: OperationOptions = {}): AsyncGenerator<PinInfo> {
  for await (const p of node.pins.ls({ signal: options.signal })) {
    yield { cid: p.cid, depth: p.depth, metadata: p.metadata }
  }
}

/**
 * Delete every block that no pin holds, and report how many blocks and bytes that freed. Waits
 * for running adds and imports to finish, and holds them off while it runs.
 */
export async function collectGarbage (node: PinNode, options: OperationOptions<GcProgressEvents> & BatchOptions = {}): Promise<GcResult> {
  return withExclusiveLock(node, options.signal, async () => {
    if (options.stores !== undefined) {
      return collectGarbageBatched(options.stores, { signal: options.signal, onDeleted: (cid, bytes) => { emit(options, 'gc:deleted', { cid, bytes }) } })
    }
    const candidates: Array<{ cid: CID, bytes: number }> = []
    for await (const { cid, bytes } of node.blockstore.getAll({ signal: options.signal })) {
      options.signal?.throwIfAborted()
      if (await node.pins.isPinned(cid, { signal: options.signal })) continue
      let size = 0
      for await (const chunk of bytes) size += chunk.byteLength
      candidates.push({ cid, bytes: size })
    }
    const result: GcResult = { blocks: 0, bytes: 0 }
    for (const c of candidates) {
      options.signal?.throwIfAborted()
      try {
        await node.blockstore.delete(c.cid, { signal: options.signal })
      } catch (err) {
        if (errorName(err) === 'BlockPinnedError') continue
        if (isAbortError(err)) throw err
        emit(options, 'gc:error', { cid: c.cid, error: err as Error })
        continue
      }
      result.blocks++
      result.bytes += c.bytes
      emit(options, 'gc:deleted', c)
    }
    return result
  })
}

/** What add-then-pin needs: pins are written straight into the node's datastore. */
export type AddPinNode = Pick<Helia, 'pins' | 'blockstore' | 'datastore'>

export interface AddAndPinOptions extends AddOptions {
  /** Pin the roots once stored (default true). Ignored with `onlyHash`. */
  pin?: boolean | undefined
}

/**
 * Add entries to the node's blockstore, then pin the roots. No GC runs in between; if the add is
 * cancelled, nothing is pinned and the blocks written so far are left for the next GC.
 */
export async function addAndPin (node: AddPinNode, source: AsyncIterable<AddEntry> | Iterable<AddEntry>, options: AddAndPinOptions = {}): Promise<AddedEntry[]> {
  if (options.onlyHash === true) return addAll(node.blockstore, source, options)
  return withSharedLock(node, options.signal, async () => {
    // The tracker remembers every block's links, so the roots are pinned without a DAG walk.
    const tracker = options.pin === false ? undefined : new DagTracker()
    const roots = await addAll(tracker?.wrap(node.blockstore) ?? node.blockstore, source, options)
    if (tracker === undefined) return roots
    if (options.signal?.aborted === true) {
      throw new AbortError('The add was cancelled before pinning. Nothing was pinned; the next garbage collection removes its blocks.')
    }
    const records = datastorePinRecords(node.datastore)
    const known = roots.flatMap(r => { const blockKeys = tracker.blocksOf(r.cid); return blockKeys === undefined ? [] : [{ root: r.cid, blockKeys }] })
    await pinMany(records, known)
    for (const root of roots) if (tracker.blocksOf(root.cid) === undefined) await pin(node, root.cid, { complete: true })
    return roots
  })
}

/**
 * Pin the root of an add that has just stored its whole DAG: from the recorded block list when
 * there is one (no reads), else with Helia's walk.
 */
export async function pinAdded (node: PinNode, records: PinRecordStore, root: CID, blocks: string[] | undefined, options: PinOptions = {}): Promise<PinResult> {
  if (blocks === undefined) return pin(node, root, { ...options, complete: true })
  const result = await pinBlocks(records, root, blocks, { metadata: options.metadata })
  return { cid: root, ...result }
}
