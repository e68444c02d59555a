/** Messages between the page and the add worker (structured-clone friendly: no CIDs, no bigints). */
import type { ErrorObject } from '../core/errors.js'

export interface AddWorkerEntry {
  /** `/`-separated path; the first component of a folder tree is the folder's name. */
  path: string
  /** Absent for an (empty) directory. */
  file?: File
}

export type AddWorkerRequest =
  | {
    type: 'add'
    id: number
    blockstoreName: string
    entries: AddWorkerEntry[]
    profile: string
    onlyHash?: boolean
    /**
     * Pin each root (metadata `{ name }`) in this IndexedDB datastore once the whole DAG is
     * stored, from the blocks the worker wrote (no DAG walk). Roots it cannot pin that way come
     * back with `pinned: false` for the page to pin.
     */
    pinDatastoreName?: string
  }
  | { type: 'abort', id: number }

export interface AddWorkerRoot {
  name: string
  cid: string
  size: string
  type: 'file' | 'directory' | 'symlink'
  /** Pinned by the worker (or pinned already). */
  pinned?: boolean
}

export type AddWorkerProgress =
  | { type: 'add:file:start', detail: { path: string } }
  | { type: 'add:bytes', detail: { path: string, bytes: number, fileBytes: number, totalBytes: number } }
  | { type: 'add:file:done', detail: { path: string, cid: string, size: string } }
  | { type: 'add:root', detail: { name: string, cid: string, size: string } }

export type AddWorkerResponse =
  | { type: 'progress', id: number, event: AddWorkerProgress }
  | { type: 'done', id: number, roots: AddWorkerRoot[] }
  | { type: 'error', id: number, error: ErrorObject }
