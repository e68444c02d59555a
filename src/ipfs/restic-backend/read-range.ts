/**
 * Reads a byte range of one UnixFS file, asking again when no block arrives for a while: a block
 * request that no peer answers would otherwise wait forever. Each retry starts from where the read
 * got to (a fresh request means fresh provider lookups and wants). The wait is raced, so a source
 * that ignores its signal cannot hold the read.
 */
import { emit } from '../../core/options.js'
import { isAbortError } from '../../core/errors.js'
import { RepoBlockUnreachableError } from './errors.js'
import type { IpfsBackendEvents } from './init.js'
import type { OperationOptions } from '../../core/options.js'
import type { UnixFS } from '@helia/unixfs'
import type { CID } from 'multiformats/cid'

export const DEFAULT_READ_STALL_MS = 30_000
export const DEFAULT_READ_ATTEMPTS = 3

export interface ReadRangeOptions extends OperationOptions<IpfsBackendEvents> {
  /** The file's path in the repository and the repository, for messages. */
  path: string
  location: string
  stallMs?: number | undefined
  attempts?: number | undefined
  /** Blocks of the file fetched at a time. @default 1 */
  readConcurrency?: number | undefined
  /** Where `restic-ipfs:read:stalled` goes (the backend's own listener). */
  events?: OperationOptions<IpfsBackendEvents> | undefined
}

/** Reads `length` bytes at `offset` of the file `cid` into `out`; returns how many arrived. */
export async function readRange (fs: UnixFS, cid: CID, offset: number, out: Uint8Array, options: ReadRangeOptions): Promise<number> {
  const length = out.byteLength
  const stallMs = options.stallMs ?? DEFAULT_READ_STALL_MS
  const attempts = Math.max(1, options.attempts ?? DEFAULT_READ_ATTEMPTS)
  let pos = 0
  for (let attempt = 1; ; attempt++) {
    const stall = new AbortController()
    const signal = options.signal === undefined ? stall.signal : AbortSignal.any([options.signal, stall.signal])
    const stalled = new Promise<'stalled'>((resolve) => { stall.signal.addEventListener('abort', () => { resolve('stalled') }, { once: true }) })
    const chunks = fs.cat(cid, { offset: offset + pos, length: length - pos, signal, blockReadConcurrency: options.readConcurrency ?? 1 } as Parameters<UnixFS['cat']>[1])[Symbol.asyncIterator]()
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      while (pos < length) {
        timer = setTimeout(() => { stall.abort() }, stallMs)
        const next = await Promise.race([chunks.next(), stalled])
        clearTimeout(timer)
        if (next === 'stalled') break
        if (next.done === true) break
        out.set(next.value.subarray(0, length - pos), pos)
        pos += next.value.byteLength
      }
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      if (!stall.signal.aborted) {
        if (isAbortError(err)) throw err
        throw new RepoBlockUnreachableError(`Could not read ${options.path} (${cid.toString()}) of ${options.location}: ${(err as Error).message}. Make sure a peer holding the repository is connected, then retry.`, { cause: err })
      }
    } finally {
      clearTimeout(timer)
      if (pos >= length || stall.signal.aborted) void chunks.return?.().catch(() => {})
    }
    options.signal?.throwIfAborted()
    if (!stall.signal.aborted) break
    if (attempt >= attempts) {
      throw new RepoBlockUnreachableError(`Reading ${options.path} (${cid.toString()}) of ${options.location} stalled: no block arrived for ${stallMs < 1000 ? `${stallMs} ms` : `${Math.round(stallMs / 1000)} s`}, ${attempts} times. Make sure a peer holding the repository is connected, then retry.`)
    }
    emit(options.events, 'restic-ipfs:read:stalled', { path: options.path, attempt, bytesRead: pos })
  }
  return pos
}
