/** Shared test helpers: fixture paths and manifest types. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const FIXTURES = fileURLToPath(new URL('../../fixtures/restic/', import.meta.url))

export interface ManifestFile { type: 'file' | 'symlink' | 'dir', size?: number, sha256?: string, blobs?: string[], linktarget?: string }
export interface Manifest {
  password: string
  repository_version: number
  config: { version: number, id: string, chunker_polynomial: string }
  master_key: { mac: { k: string, r: string }, encrypt: string }
  snapshots: Array<{ id: string, short_id: string, time: string, tree: string, parent: string | null, hostname: string, tags: string[], paths: string[], path_prefix_in_tree: string, files: Record<string, ManifestFile> }>
}

export function manifest (v: 'v1' | 'v2'): Manifest {
  return JSON.parse(readFileSync(`${FIXTURES}${v}/manifest.json`, 'utf8')) as Manifest
}

export function json<T> (rel: string): T {
  return JSON.parse(readFileSync(FIXTURES + rel, 'utf8')) as T
}
