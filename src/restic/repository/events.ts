/** Progress events of repository operations (facts: counts and bytes). */
import type { ProgressEvent } from '../../core/options.js'

export type OpenProgressEvents =
  | ProgressEvent<'restic:open:key', { keyId: string }>
  | ProgressEvent<'restic:open:done', { version: number, keyId: string }>

export type IndexProgressEvents =
  | ProgressEvent<'restic:index:loaded', { id: string, packs: number }>

export type SaveProgressEvents =
  | ProgressEvent<'restic:pack:uploaded', { id: string, size: number, blobs: number }>
  | ProgressEvent<'restic:index:uploaded', { id: string, packs: number }>
