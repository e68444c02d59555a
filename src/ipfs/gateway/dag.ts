/**
 * The block selection of the trustless gateway (IPIP-402 `dag-scope`, `entity-bytes`, `dups`):
 * which blocks a CAR for `/ipfs/<cid>/<path>` holds, in depth-first order, read from the given
 * blockstore (the local network peer's own; the service worker's verified sources) and yielded one at a time (never the whole DAG in memory).
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { exporter } from 'ipfs-unixfs-exporter'
import { createUnsafe } from 'multiformats/block'
import * as json from 'multiformats/codecs/json'
import * as raw from 'multiformats/codecs/raw'
import { GatewayNotFoundError, GatewayRequestError } from './errors.js'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import type { BlockCodec } from 'multiformats/codecs/interface'

export type DagScope = 'block' | 'entity' | 'all'

/** `entity-bytes=from:to`, as given (negative counts from the end; `to` undefined is `*`). */
export interface EntityBytes { from: number, to: number | undefined }

export interface DagBlock { cid: CID, bytes: Uint8Array }

const IDENTITY = 0x00
const CODECS = new Map<number, BlockCodec<number, unknown>>([
  [dagPb.code, dagPb], [raw.code, raw], [dagCbor.code, dagCbor], [dagJson.code, dagJson], [json.code, json]
] as Array<[number, BlockCodec<number, unknown>]>)

type Store = Pick<Blockstore, 'get'>

/** One block's bytes (identity CIDs hold theirs); a block the store lacks is a GatewayNotFoundError. */
export async function readLocalBlock (blockstore: Store, cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
  if (cid.multihash.code === IDENTITY) return cid.multihash.digest
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of blockstore.get(cid, signal === undefined ? {} : { signal })) chunks.push(chunk)
  } catch (err) {
    if ((err as Error).name === 'NotFoundError') throw new GatewayNotFoundError(`Block ${cid.toString()} is not held here.`, { cause: err })
    throw err
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0]
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let offset = 0
  for (const c of chunks) { out.set(c, offset); offset += c.byteLength }
  return out
}

export interface ResolvedPath {
  /** The CID at the end of the path. */
  terminal: CID
  /** Blocks read to walk the path, in order, without the terminal. */
  path: CID[]
}

/**
 * Walks `segments` (already percent-decoded) from `root` through UnixFS directories (HAMT shards
 * included) and DAG-CBOR/DAG-JSON links, recording the blocks it reads.
 * @throws GatewayNotFoundError when a segment or a block is missing
 */
export async function resolvePath (blockstore: Store, root: CID, segments: string[], signal?: AbortSignal): Promise<ResolvedPath> {
  if (segments.length === 0) return { terminal: root, path: [] }
  if (segments.some(s => s === '' || s.includes('/'))) throw new GatewayNotFoundError(`The path /${segments.join('/')} has an empty or invalid segment.`)
  const asked: CID[] = []
  const recording = {
    async * get (cid: CID, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
      if (!asked.some(c => c.equals(cid))) asked.push(cid)
      yield await readLocalBlock(blockstore, cid, options.signal ?? signal)
    }
  }
  let terminal: CID
  try {
    terminal = (await exporter([root.toString(), ...segments].join('/'), recording, signal === undefined ? {} : { signal })).cid
  } catch (err) {
    if (err instanceof GatewayNotFoundError) throw err
    if ((err as Error).name === 'NotFoundError' || (err as Error).name === 'NoResolverError') throw new GatewayNotFoundError(`/${segments.join('/')} was not found under ${root.toString()}.`)
    throw err
  }
  return { terminal, path: asked.filter(c => !c.equals(terminal)) }
}

function links (cid: CID, bytes: Uint8Array): CID[] {
  if (cid.code === raw.code) return []
  const codec = CODECS.get(cid.code)
  if (codec === undefined) return []
  return [...createUnsafe({ cid, bytes, codec }).links()].map(([, link]) => link)
}

/** Every block under `root`, depth first in link order; `dups`: a block again each time it is linked. */
async function * allBlocks (blockstore: Store, root: CID, dups: boolean, seen: Set<string>, signal?: AbortSignal): AsyncGenerator<DagBlock> {
  const stack: CID[] = [root]
  while (stack.length > 0) {
    signal?.throwIfAborted()
    const cid = stack.pop()
    if (cid === undefined) break
    const key = cid.toString()
    if (!dups && seen.has(key)) continue
    seen.add(key)
    const bytes = await readLocalBlock(blockstore, cid, signal)
    yield { cid, bytes }
    const next = links(cid, bytes)
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i] as CID)
  }
}

function unixfsOf (cid: CID, bytes: Uint8Array): { node: dagPb.PBNode, fs: UnixFS } | undefined {
  if (cid.code !== dagPb.code) return undefined
  const node = dagPb.decode(bytes)
  if (node.Data === undefined) return undefined
  try {
    return { node, fs: UnixFS.unmarshal(node.Data) }
  } catch {
    return undefined
  }
}

/** The blocks of a UnixFS file that hold bytes `from`..`to` (inclusive, file offsets), depth first. */
async function * fileRange (blockstore: Store, cid: CID, bytes: Uint8Array, from: number, to: number, start: number, signal?: AbortSignal): AsyncGenerator<DagBlock> {
  yield { cid, bytes }
  const file = unixfsOf(cid, bytes)
  if (file === undefined) return
  let pos = start + (file.fs.data?.byteLength ?? 0)
  for (const [i, link] of file.node.Links.entries()) {
    const size = Number(file.fs.blockSizes[i] ?? 0n)
    if (size > 0 && pos + size - 1 >= from && pos <= to) {
      yield * fileRange(blockstore, link.Hash, await readLocalBlock(blockstore, link.Hash, signal), from, to, pos, signal)
    }
    pos += size
    if (pos > to) break
  }
}

/** The shard blocks of a HAMT directory (not its entries), depth first. */
async function * hamtBlocks (blockstore: Store, cid: CID, bytes: Uint8Array, signal?: AbortSignal): AsyncGenerator<DagBlock> {
  yield { cid, bytes }
  const dir = unixfsOf(cid, bytes)
  if (dir === undefined || dir.fs.type !== 'hamt-sharded-directory') return
  // Links named by the two-character bucket prefix alone are sub-shards; longer names are entries.
  for (const link of dir.node.Links) {
    if ((link.Name ?? '').length === 2) yield * hamtBlocks(blockstore, link.Hash, await readLocalBlock(blockstore, link.Hash, signal), signal)
  }
}

/**
 * Blocks one CAR may hold. With `dups=y` a small DAG that links the same subtree twice per level
 * repeats it exponentially; past this the stream ends with an error instead of running on.
 */
export const MAX_CAR_BLOCKS = 1_000_000

export interface SelectOptions {
  scope: DagScope
  entityBytes?: EntityBytes | undefined
  dups: boolean
  signal?: AbortSignal
  /** @default MAX_CAR_BLOCKS */
  maxBlocks?: number
}

/** Resolves `entity-bytes` against a file's size: inclusive [from, to], or undefined for nothing. */
export function byteRange (range: EntityBytes, size: number): { from: number, to: number } {
  const from = range.from < 0 ? Math.max(0, size + range.from) : range.from
  const to = range.to === undefined ? size - 1 : range.to < 0 ? size + range.to : Math.min(range.to, size - 1)
  return { from, to }
}

/**
 * The blocks of a CAR for `resolved` under `options`: the path blocks, then the terminal and what
 * the scope takes below it. Identity CIDs are never yielded.
 */
export async function * selectBlocks (blockstore: Store, resolved: ResolvedPath, options: SelectOptions): AsyncGenerator<DagBlock> {
  const seen = new Set<string>()
  const max = options.maxBlocks ?? MAX_CAR_BLOCKS
  let count = 0
  const emit = function * (block: DagBlock): Generator<DagBlock> {
    if (block.cid.multihash.code === IDENTITY) return
    const key = block.cid.toString()
    if (!options.dups && seen.has(key)) return
    seen.add(key)
    if (++count > max) throw new GatewayRequestError(`This CAR would hold more than ${max} blocks. Ask for dups=n, or a smaller dag-scope.`)
    yield block
  }
  for (const cid of resolved.path) yield * emit({ cid, bytes: await readLocalBlock(blockstore, cid, options.signal) })
  const { terminal } = resolved
  if (options.scope === 'all') {
    for await (const block of allBlocks(blockstore, terminal, options.dups, new Set(), options.signal)) yield * emit(block)
    return
  }
  const bytes = await readLocalBlock(blockstore, terminal, options.signal)
  if (options.scope === 'block') {
    yield * emit({ cid: terminal, bytes })
    return
  }
  const entity = unixfsOf(terminal, bytes)
  if (entity?.fs.type === 'file' || entity?.fs.type === 'raw') {
    if (options.entityBytes === undefined) {
      for await (const block of allBlocks(blockstore, terminal, options.dups, new Set(), options.signal)) yield * emit(block)
      return
    }
    const { from, to } = byteRange(options.entityBytes, Number(entity.fs.fileSize()))
    if (from > to) {
      yield * emit({ cid: terminal, bytes })
      return
    }
    for await (const block of fileRange(blockstore, terminal, bytes, from, to, 0, options.signal)) yield * emit(block)
    return
  }
  if (entity?.fs.type === 'hamt-sharded-directory') {
    for await (const block of hamtBlocks(blockstore, terminal, bytes, options.signal)) yield * emit(block)
    return
  }
  yield * emit({ cid: terminal, bytes })
}
