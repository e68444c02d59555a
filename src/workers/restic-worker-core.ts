/**
 * The restic worker's message handling, apart from the worker global so tests can run it in-thread.
 * Each job runs the same per-blob functions as the in-thread pool (`src/restic/repository/blob-pool.ts`).
 */
import { ownBuffer } from '../core/bytes.js'
import { errorToObject } from '../core/errors.js'
import { Key } from '../restic/crypto/key.js'
import { decodeBlobWith, encodeBlobWith } from '../restic/repository/blob-pool.js'
import { zstdReady } from '../restic/util/zstd.js'
import type { ResticWorkerRequest, ResticWorkerResponse } from './restic-protocol.js'


export { ownBuffer }

export type Post = (msg: ResticWorkerResponse, transfer?: Transferable[]) => void

/** Returns the handler for one worker's incoming messages. */
export function createResticWorkerHandler (post: Post): (msg: ResticWorkerRequest) => void {
  const keys = new Map<number, Key>()
  const decisions = new Map<number, (store: boolean) => void>()
  const dropped = new Set<number>()
  // Start loading zstd at once, not on the first blob.
  zstdReady().catch(() => {})

  const key = (id: number): Key => {
    const k = keys.get(id)
    if (k === undefined) throw new Error(`restic worker: unknown key ${id}`)
    return k
  }
  const fail = (job: number, err: unknown): void => { post({ type: 'error', job, error: errorToObject(err) }) }

  return (msg) => {
    try { dispatch(msg) } catch (err) {
      if (msg.type === 'encode' || msg.type === 'decode') fail(msg.job, err)
      else throw err
    }
  }

  function dispatch (msg: ResticWorkerRequest): void {
    switch (msg.type) {
      case 'key':
        keys.set(msg.keyId, new Key(msg.material))
        return
      case 'decide': {
        const d = decisions.get(msg.job)
        decisions.delete(msg.job)
        d?.(msg.store)
        return
      }
      case 'drop': {
        const d = decisions.get(msg.job)
        decisions.delete(msg.job)
        if (d !== undefined) d(false)
        else dropped.add(msg.job)
        return
      }
      case 'encode': {
        const { job } = msg
        encodeBlobWith(key(msg.keyId), msg.plain, msg.compress, async (id) => {
          if (dropped.delete(job)) return false
          const decided = new Promise<boolean>(resolve => decisions.set(job, resolve))
          post({ type: 'id', job, id })
          return await decided
        }, msg.max === true).then(r => {
          if (dropped.delete(job)) return
          const sealed = r.sealed === undefined ? undefined : ownBuffer(r.sealed)
          post({ type: 'encoded', job, sealed, uncompressedLength: r.uncompressedLength }, sealed !== undefined ? [sealed.buffer] : [])
        }, (err: unknown) => { fail(job, err) })
        return
      }
      case 'decode': {
        const { job } = msg
        decodeBlobWith(key(msg.keyId), msg).then(result => {
          if (dropped.delete(job)) return
          if (!('plain' in result)) { post({ type: 'decoded', job, result }); return }
          const plain = ownBuffer(result.plain)
          post({ type: 'decoded', job, result: { plain } }, [plain.buffer])
        }, (err: unknown) => { fail(job, err) })
      }
    }
  }
}
