/**
 * Read UnixFS content: list a directory (with entry types), stat, and read a byte range. Blocks
 * come from the local store or, through bitswap, from connected peers.
 */
import { unixfs } from '@helia/unixfs'
import * as dagPb from '@ipld/dag-pb'
import type { Helia } from '@helia/interface'
import type { CID } from 'multiformats/cid'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { UnsafeNameError } from '../../core/errors.js'
import { showName, unsafeNameReason } from '../../core/names.js'
import { ContentNotFoundError, PathNotFoundError } from './errors.js'

export type EntryType = 'file' | 'directory' | 'raw'

export interface Entry {
  name: string
  cid: CID
  type: EntryType
  /** File size in bytes (for directories: the DAG size). */
  size: bigint
  /** The UnixFS mtime, when the DAG records one (most adds do not). */
  mtime?: Date | undefined
}

export type FetchProgressEvents = ProgressEvent<'browse:block', { cid: string }>

export interface BrowseOptions extends OperationOptions<FetchProgressEvents> {
  path?: string
  /** Only local blocks: fail at once instead of asking peers. */
  offline?: boolean
}

type Node = Pick<Helia, 'blockstore' | 'datastore' | 'pins' | 'routing' | 'getCodec' | 'getHasher' | 'logger'>

function wrapNotFound (err: unknown, what: string, options: AbortOptions): never {
  const name = (err as { name?: string } | null)?.name
  if (options.signal?.aborted === true) throw err
  if (name === 'NoPropsError' || name === 'DoesNotExistError' || name === 'NotFoundError' && /path/i.test((err as Error).message)) {
    throw new PathNotFoundError(`${what} does not exist. Check the path; open the folder to see what it holds.`, { cause: err })
  }
  if (name === 'LoadBlockFailedError' || name === 'AbortError' || name === 'TimeoutError' || name === 'BlockNotFoundWhileOfflineError') {
    throw new ContentNotFoundError(`No connected peer sent ${what} in time. Connect to a peer that has it (Node page), or try again later.`, { cause: err })
  }
  throw err
}

function progress (options: BrowseOptions): (evt: { type: string, detail: unknown }) => void {
  return (evt) => {
    if (evt.type === 'blocks:get:blockstore:get' || evt.type === 'bitswap:want') {
      emit(options, 'browse:block', { cid: String(evt.detail) })
    }
  }
}

export async function stat (node: Node, cid: CID, options: BrowseOptions = {}): Promise<Entry> {
  const fs = unixfs(node as Helia)
  try {
    const s = await fs.stat(cid, { path: options.path, signal: options.signal, offline: options.offline, onProgress: progress(options) })
    const name = options.path?.split('/').pop() ?? ''
    return { name, cid: s.cid, type: s.type, size: s.type === 'file' || s.type === 'raw' ? s.size : s.size }
  } catch (err) {
    wrapNotFound(err, `/ipfs/${cid}${options.path !== undefined && options.path !== '' ? '/' + options.path : ''}`, options)
  }
}

/** List a directory's entries, each with its type and size. */
export async function list (node: Node, cid: CID, options: BrowseOptions = {}): Promise<Entry[]> {
  const fs = unixfs(node as Helia)
  const out: Entry[] = []
  try {
    for await (const e of fs.ls(cid, { path: options.path, signal: options.signal, onProgress: progress(options) })) {
      const s = await fs.stat(e.cid, { signal: options.signal, offline: options.offline, onProgress: progress(options) })
      const mtime = s.mtime === undefined ? undefined : new Date(Number(s.mtime.secs) * 1000 + Math.floor((s.mtime.nsecs ?? 0) / 1e6))
      out.push({ name: e.name, cid: e.cid, type: s.type, size: s.size, ...(mtime !== undefined ? { mtime } : {}) })
    }
  } catch (err) {
    wrapNotFound(err, `/ipfs/${cid}${options.path !== undefined && options.path !== '' ? '/' + options.path : ''}`, options)
  }
  return out.sort((a, b) => a.type === b.type ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.type === 'directory' ? -1 : b.type === 'directory' ? 1 : 0)
}

export interface ReadOptions extends BrowseOptions {
  offset?: number
  length?: number
}

/** Stream a file's bytes (or a range of them). */
export async function * read (node: Node, cid: CID, options: ReadOptions = {}): AsyncGenerator<Uint8Array> {
  const fs = unixfs(node as Helia)
  try {
    yield * fs.cat(cid, { path: options.path, offset: options.offset, length: options.length, signal: options.signal, offline: options.offline, onProgress: progress(options) })
  } catch (err) {
    wrapNotFound(err, `/ipfs/${cid}${options.path !== undefined && options.path !== '' ? '/' + options.path : ''}`, options)
  }
}

export type WalkProgressEvents =
  | FetchProgressEvents
  | ProgressEvent<'browse:walk:refused', { path: string, message: string }>

export interface WalkOptions extends Omit<BrowseOptions, 'onProgress'>, OperationOptions<WalkProgressEvents> {}

/**
 * Walk a directory tree depth-first, yielding files with their relative paths ("/"-joined). An
 * entry whose name cannot be a path segment (`core/names.ts`, "\\" refused too, since the paths
 * become archive entries) is skipped with its subtree and reported as `browse:walk:refused`.
 */
export async function * walkFiles (node: Node, cid: CID, options: WalkOptions = {}, prefix = ''): AsyncGenerator<{ path: string, entry: Entry }> {
  for (const e of await list(node, cid, options as BrowseOptions)) {
    const reason = unsafeNameReason(e.name, { backslash: true })
    if (reason !== undefined) {
      const err = new UnsafeNameError('/' + prefix, showName(e.name), reason)
      emit(options, 'browse:walk:refused', { path: err.path, message: err.message })
      continue
    }
    const path = prefix === '' ? e.name : `${prefix}/${e.name}`
    if (e.type === 'directory') {
      yield { path, entry: e }
      yield * walkFiles(node, e.cid, { ...options, path: undefined }, path)
    } else {
      yield { path, entry: e }
    }
  }
}

/**
 * The DAG's total size from its root block alone (the block plus its links' Tsize), without
 * walking it: a size hint for saving an archive or a CAR. A link's Tsize comes from whoever built
 * the DAG, so this is an estimate; it only chooses how the file is saved.
 */
export async function dagSizeEstimate (node: Node, cid: CID, options: AbortOptions = {}): Promise<number> {
  const chunks: Uint8Array[] = []
  for await (const c of (node as Helia).blockstore.get(cid, options) as unknown as AsyncIterable<Uint8Array>) chunks.push(c)
  const block = chunks.length === 1 ? chunks[0]! : new Uint8Array(await new Blob(chunks as Array<Uint8Array<ArrayBuffer>>).arrayBuffer())
  if (cid.code !== dagPb.code) return block.byteLength
  return dagPb.decode(block).Links.reduce((s, l) => s + (l.Tsize ?? 0), block.byteLength)
}
