/** Messages between `restic-pool.ts` and `restic-worker.ts` (structured-clone friendly). */
import type { ErrorObject } from '../core/errors.js'
import type { KeyMaterial } from '../restic/crypto/key.js'
import type { DecodedBlob } from '../restic/repository/blob-pool.js'

export type ResticWorkerRequest =
  /** A master key, sent once per key (and worker); later jobs name it by `keyId`. */
  | { type: 'key', keyId: number, material: KeyMaterial }
  /** Hash `plain`, answer `id`, then wait for `decide`. */
  | { type: 'encode', job: number, keyId: number, plain: Uint8Array, compress: boolean, max?: boolean | undefined }
  /** Whether the blob of an `encode` job is new: compress and seal it, or drop it. */
  | { type: 'decide', job: number, store: boolean }
  | { type: 'decode', job: number, keyId: number, sealed: Uint8Array, uncompressedLength?: number | undefined, id: string }
  /** The caller gave up on a job (aborted): forget it. */
  | { type: 'drop', job: number }

export type ResticWorkerResponse =
  | { type: 'id', job: number, id: string }
  | { type: 'encoded', job: number, sealed?: Uint8Array | undefined, uncompressedLength?: number | undefined }
  | { type: 'decoded', job: number, result: DecodedBlob }
  | { type: 'error', job: number, error: ErrorObject }
