/**
 * Warming a repository on IPFS while it is being opened: the password check (scrypt) takes a good
 * part of a second and needs only `config` and one key file, so meanwhile the snapshot and index
 * files (what opening goes on to read) are fetched, a few at a time. Their blocks land in the
 * node's blockstore and the bytes are dropped, so the later reads are local and nothing is held
 * in memory. Best effort: a failure here only means the later read fetches for itself.
 */
import { mapLimit } from './paths.js'
import type { AbortOptions } from '../../core/options.js'
import type { Backend, FileType } from '../../restic/backend/backend.js'

/** @default 8 files fetched at a time. */
export const DEFAULT_WARM_CONCURRENCY = 8

export interface WarmOptions extends AbortOptions {
  /** What to fetch. @default ['snapshots', 'index'] */
  types?: ReadonlyArray<Exclude<FileType, 'config' | 'data'>> | undefined
  /** Files fetched at a time. @default DEFAULT_WARM_CONCURRENCY */
  concurrency?: number | undefined
}

/** Fetches the files of `types` into the node's blockstore; resolves with how many were read. */
export async function warmRepository (backend: Pick<Backend, 'list' | 'read'>, options: WarmOptions = {}): Promise<number> {
  const types = options.types ?? ['snapshots', 'index']
  const limit = Math.max(1, options.concurrency ?? DEFAULT_WARM_CONCURRENCY)
  const lists = await Promise.all(types.map(async (type) => {
    try {
      return (await backend.list(type, options)).map(f => ({ type, name: f.name }))
    } catch {
      return []
    }
  }))
  let read = 0
  await mapLimit(lists.flat(), limit, async (h) => {
    if (options.signal?.aborted === true) return
    try {
      await backend.read(h, undefined, options)
      read++
    } catch {
      // best effort: the real read reports the problem
    }
  })
  return read
}
