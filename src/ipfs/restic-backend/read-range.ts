/**
 * Reads a byte range of one UnixFS file by fetching only the blocks that cover it: the file's root,
 * then the children whose bytes overlap the range (a 100 KB blob of a pack with 1 MiB leaves needs
 * one or two leaves), `readConcurrency` blocks at a time, each written straight to its place in the
 * output. A block that does not arrive for `stallMs` is asked again (a fresh request means fresh
 * wants); the wait is raced, so a source that ignores its signal cannot hold the read.
 */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import * as raw from 'multiformats/codecs/raw'
import { emit } from '../../core/options.js'
import { isAbortError } from '../../core/errors.js'
import { RepoBlockUnreachableError } from './errors.js'
import type { IpfsBackendEvents } from './init.js'
import type { AbortOptions, OperationOptions } from '../../core/options.js'
import type { CID } from 'multiformats/cid'

export const DEFAULT_READ_STALL_MS = 30_000
export const DEFAULT_READ_ATTEMPTS = 3
/**
 * Blocks of one range fetched at a time. One: over bitswap from the local network peer (which
 * pulls blocks on provider lookups), several wants of one pack at once stall until the read fails
 * ("Failed to load block"); the page-made repository's export in backups.spec showed it again.
 */
export const DEFAULT_READ_CONCURRENCY = 1

/** Where the blocks come from: the node's blockstore, or a block session over it. */
export interface RangeBlocks {
  block: (cid: CID, options: AbortOptions) => Promise<Uint8Array>
}

export interface ReadRangeOptions extends OperationOptions<IpfsBackendEvents> {
  /** The file's path in the repository and the repository, for messages. */
  path: string
  location: string
  stallMs?: number | undefined
  attempts?: number | undefined
  /** Blocks of the range fetched at a time. @default DEFAULT_READ_CONCURRENCY */
  readConcurrency?: number | undefined
  /** Where `restic-ipfs:read:stalled` goes (the backend's own listener). */
  events?: OperationOptions<IpfsBackendEvents> | undefined
}

/** At most `n` calls of `run` at once, across the whole walk (every level of the DAG). */
function limiter (n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async (fn) => {
    if (active >= n) await new Promise<void>(resolve => { waiting.push(resolve) })
    active++
    try {
      return await fn()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}

/** Reads `out.byteLength` bytes at `offset` of the file `cid` into `out`; returns how many arrived. */
export async function readRange (blocks: RangeBlocks, cid: CID, offset: number, out: Uint8Array, options: ReadRangeOptions): Promise<number> {
  const start = offset
  const end = offset + out.byteLength
  const stallMs = options.stallMs ?? DEFAULT_READ_STALL_MS
  const attempts = Math.max(1, options.attempts ?? DEFAULT_READ_ATTEMPTS)
  const limit = limiter(Math.max(1, options.readConcurrency ?? DEFAULT_READ_CONCURRENCY))
  let written = 0
  // Ends the other block requests of the range once one of them failed.
  const walkAbort = new AbortController()
  const damaged = (why: string): RepoBlockUnreachableError =>
    new RepoBlockUnreachableError(`${options.path} of ${options.location} is damaged (${why}). Run "restic check --read-data".`)

  /** One block, asked again after each stall. */
  const fetch = async (c: CID): Promise<Uint8Array> => {
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted()
      const stall = new AbortController()
      const signal = AbortSignal.any([walkAbort.signal, stall.signal, ...(options.signal === undefined ? [] : [options.signal])])
      let timer: ReturnType<typeof setTimeout> | undefined
      const stalled = new Promise<'stalled'>(resolve => { timer = setTimeout(() => { stall.abort(); resolve('stalled') }, stallMs) })
      try {
        const got = await Promise.race([blocks.block(c, { signal }), stalled])
        if (got !== 'stalled') return got
      } catch (err) {
        if (options.signal?.aborted === true || walkAbort.signal.aborted) throw err
        if (!stall.signal.aborted) {
          if (isAbortError(err)) throw err
          throw new RepoBlockUnreachableError(`Could not read ${options.path} (${cid.toString()}) of ${options.location}: ${(err as Error).message}. Make sure a peer holding the repository is connected, then retry.`, { cause: err })
        }
      } finally {
        clearTimeout(timer)
        stall.abort()
      }
      options.signal?.throwIfAborted()
      if (attempt >= attempts) {
        throw new RepoBlockUnreachableError(`Reading ${options.path} (${cid.toString()}) of ${options.location} stalled: no block arrived for ${stallMs < 1000 ? `${stallMs} ms` : `${Math.round(stallMs / 1000)} s`}, ${attempts} times. Make sure a peer holding the repository is connected, then retry.`)
      }
      emit(options.events, 'restic-ipfs:read:stalled', { path: options.path, attempt, bytesRead: written })
    }
  }

  /** Copies the part of `data` (file bytes from `pos`) that falls inside the range. */
  const copy = (data: Uint8Array, pos: number): void => {
    const a = Math.max(pos, start)
    const b = Math.min(pos + data.byteLength, end)
    if (b <= a) return
    out.set(data.subarray(a - pos, b - pos), a - start)
    written += b - a
  }

  const walk = async (c: CID, bytes: Uint8Array, pos: number): Promise<void> => {
    if (c.code === raw.code) { copy(bytes, pos); return }
    if (c.code !== dagPb.code) throw damaged(`block ${c.toString()} has codec 0x${c.code.toString(16)}, not a UnixFS file block`)
    let node: dagPb.PBNode
    let file: UnixFS
    try {
      node = dagPb.decode(bytes)
      file = UnixFS.unmarshal(node.Data ?? new Uint8Array())
    } catch (err) {
      throw damaged(`block ${c.toString()} is not UnixFS: ${(err as Error).message}`)
    }
    if (file.type !== 'file' && file.type !== 'raw') throw damaged(`block ${c.toString()} is a UnixFS ${file.type}, not a file`)
    if (file.data !== undefined && file.data.byteLength > 0) { copy(file.data, pos); pos += file.data.byteLength }
    if (node.Links.length !== file.blockSizes.length) throw damaged(`block ${c.toString()} has ${node.Links.length} links and ${file.blockSizes.length} sizes`)
    const children: Array<{ cid: CID, pos: number }> = []
    for (let i = 0; i < node.Links.length && pos < end; i++) {
      const size = Number(file.blockSizes[i])
      const link = node.Links[i]
      // Only children with a byte inside [start, end): one that merely touches an edge is not fetched.
      if (link !== undefined && pos < end && pos + size > start) children.push({ cid: link.Hash, pos })
      pos += size
    }
    await Promise.all(children.map(async child => {
      // The limiter holds a slot while the block is fetched, not while its own children are.
      const b = await limit(async () => await fetch(child.cid))
      await walk(child.cid, b, child.pos)
    }))
  }

  try {
    await walk(cid, await fetch(cid), 0)
  } finally {
    walkAbort.abort()
  }
  return written
}
