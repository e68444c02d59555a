/**
 * Import files and directories as UnixFS, with the same CIDs as Kubo's `ipfs add` for the chosen
 * IPIP-499 profile. Runs in the page: it needs only somewhere to `put` blocks.
 *
 * Memory stays bounded whatever the file size: content is read chunk by chunk and only CIDs and
 * sizes are kept (see `FILE_CONCURRENCY` × `BLOCK_CONCURRENCY` × chunk size for the peak).
 *
 * What an abort leaves behind: the blocks written so far stay in the blockstore, unpinned, and the
 * next garbage collection removes them. Nothing is pinned here; see `pins/addAndPin` for that.
 */
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'
import { importer } from 'ipfs-unixfs-importer'
import { AbortError, CairnError, isAbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { AddReadError, InvalidAddEntryError } from './errors.js'
import { DEFAULT_PROFILE, getProfile, importerOptions } from './profiles.js'
import { kuboTreeBuilder, pathComponents } from './tree-builder.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { Profile, ProfileName } from './profiles.js'
import type { ImportCandidate, WritableStorage } from 'ipfs-unixfs-importer'
import type { Mtime } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'

/** How many files are read at once, and how many blocks per file are hashed and stored at once. */
const FILE_CONCURRENCY = 8
const BLOCK_CONCURRENCY = 8

export type { Mtime }

/** One thing to add. No `content` (and no `link`) means a directory (needed only for empty ones). */
export interface AddEntry {
  /** `/`-separated path; the first component of a directory tree is the root's name. */
  path: string
  content?: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | undefined
  /** A symbolic link's target (stored as a UnixFS symlink, as `ipfs add` does; never followed). */
  link?: string | undefined
  /** Stored only when given (Kubo's `--preserve-mode`); changes the CID. */
  mode?: number | undefined
  /** Stored only when given (Kubo's `--preserve-mtime`); changes the CID. */
  mtime?: Mtime | undefined
}

export interface AddedEntry {
  /** Path as given, normalised (no leading `./`, no empty parts); `''` for an unnamed file or the wrapper. */
  path: string
  /** Last path component; `''` for an unnamed file or the wrapping directory. */
  name: string
  cid: CID
  /** Total bytes of the DAG under this entry (blocks included), as a parent link's Tsize. */
  size: bigint
  type: 'file' | 'directory' | 'symlink'
}

export type AddProgressEvents =
  | ProgressEvent<'add:file:start', { path: string }>
  | ProgressEvent<'add:bytes', { path: string, bytes: number, fileBytes: number, totalBytes: number }>
  | ProgressEvent<'add:file:done', { path: string, cid: CID, size: bigint }>
  | ProgressEvent<'add:directory:done', { path: string, cid: CID, size: bigint }>
  | ProgressEvent<'add:root', { name: string, cid: CID, size: bigint }>

export interface AddOptions extends OperationOptions<AddProgressEvents> {
  /**
   * IPIP-499 profile; default `unixfs-v0-2015` (what `ipfs add` gives). A full `Profile` object
   * may be given for Kubo's non-default settings (e.g. `--cid-version=1`, or another threshold).
   */
  profile?: ProfileName | Profile | undefined
  /** Compute CIDs only: no block is written anywhere. */
  onlyHash?: boolean | undefined
  /** Put all top-level entries into one unnamed directory and return only that. */
  wrapDirectory?: boolean | undefined
}

type Source = AsyncIterable<AddEntry> | Iterable<AddEntry>

/**
 * Import every entry and yield each file and directory as it is finished (files first, then
 * directories bottom-up). The top-level ones are the roots.
 */
export async function * importEntries (blockstore: WritableStorage, source: Source, options: AddOptions = {}): AsyncGenerator<AddedEntry & { root: boolean }> {
  const profile = typeof options.profile === 'object' ? options.profile : getProfile(options.profile ?? DEFAULT_PROFILE)
  const signal = options.signal
  signal?.throwIfAborted()
  const wrap = options.wrapDirectory === true
  const target: WritableStorage = options.onlyHash === true ? new BlackHoleBlockstore() : blockstore
  const store: WritableStorage = {
    put: async (cid, bytes, putOptions) => {
      signal?.throwIfAborted()
      return target.put(cid, bytes, { ...putOptions, signal })
    }
  }
  let totalBytes = 0

  function readContent (path: string, content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncIterable<Uint8Array> {
    return (async function * () {
      emit(options, 'add:file:start', { path })
      let fileBytes = 0
      try {
        for await (const chunk of content) {
          signal?.throwIfAborted()
          if (!(chunk instanceof Uint8Array)) {
            throw new InvalidAddEntryError(`The content of "${path}" is not bytes: give an iterable of Uint8Array.`)
          }
          fileBytes += chunk.byteLength
          totalBytes += chunk.byteLength
          emit(options, 'add:bytes', { path, bytes: chunk.byteLength, fileBytes, totalBytes })
          yield chunk
        }
      } catch (err) {
        if (err instanceof CairnError || isAbortError(err)) throw err
        throw new AddReadError(`Could not read "${path}" after ${fileBytes} bytes: ${(err as Error)?.message ?? String(err)}. Check that it is still there and readable, then add it again.`, { cause: err })
      }
    })()
  }

  async function * candidates (): AsyncGenerator<ImportCandidate> {
    for await (const entry of source) {
      signal?.throwIfAborted()
      if (typeof entry?.path !== 'string') throw new InvalidAddEntryError('Every entry needs a string `path` (use "" for a single unnamed file).')
      const path = pathComponents(entry.path).join('/')
      const meta = {
        ...(entry.mode === undefined ? {} : { mode: entry.mode }),
        ...(entry.mtime === undefined ? {} : { mtime: entry.mtime })
      }
      if (typeof entry.link === 'string') yield { path, link: entry.link, ...meta }
      else if (entry.content === undefined) yield { path, ...meta }
      else yield { path, content: readContent(path, entry.content), ...meta }
    }
  }

  try {
    for await (const result of importer(candidates(), store, {
      ...importerOptions(profile),
      wrapWithDirectory: wrap,
      fileImportConcurrency: FILE_CONCURRENCY,
      blockWriteConcurrency: BLOCK_CONCURRENCY,
      treeBuilder: kuboTreeBuilder({ profile, wrapWithDirectory: wrap, signal })
    })) {
      const path = result.path ?? ''
      const parts = pathComponents(path)
      const type = result.unixfs?.isDirectory() === true ? 'directory' : result.unixfs?.type === 'symlink' ? 'symlink' : 'file'
      const root = wrap ? path === '' : parts.length <= 1
      const added = { path, name: parts[parts.length - 1] ?? '', cid: result.cid, size: result.size, type, root } as const
      if (type === 'directory') emit(options, 'add:directory:done', { path, cid: result.cid, size: result.size })
      else emit(options, 'add:file:done', { path, cid: result.cid, size: result.size })
      if (root) emit(options, 'add:root', { name: added.name, cid: result.cid, size: result.size })
      yield added
    }
  } catch (err) {
    if (signal?.aborted === true && isAbortError(err)) {
      throw new AbortError('The add was cancelled. Blocks written so far are not pinned; the next garbage collection removes them.', { cause: err })
    }
    throw err
  }
}

/** Import entries and return the roots (top-level entries, or the wrapping directory). */
export async function addAll (blockstore: WritableStorage, source: Source, options: AddOptions = {}): Promise<AddedEntry[]> {
  const roots: AddedEntry[] = []
  for await (const { root, ...entry } of importEntries(blockstore, source, options)) {
    if (root) roots.push(entry)
  }
  return roots
}

/** Import one unnamed file. */
export async function addBytes (blockstore: WritableStorage, content: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: AddOptions = {}): Promise<AddedEntry> {
  const roots = await addAll(blockstore, [{ path: '', content: content instanceof Uint8Array ? [content] : content }], { ...options, wrapDirectory: false })
  const root = roots[0]
  if (root === undefined) throw new Error('the importer returned no root for a single file')
  return root
}

