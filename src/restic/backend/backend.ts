/**
 * The storage layer: named files by (type, name). It knows nothing about encryption.
 * One small interface: list, stat, read (a range), write, remove.
 */
import type { AbortOptions } from '../../core/options.js'
import { InvalidFileNameError } from '../errors.js'

export type FileType = 'config' | 'keys' | 'locks' | 'snapshots' | 'index' | 'data'

export const FILE_TYPES: readonly FileType[] = ['config', 'keys', 'locks', 'snapshots', 'index', 'data']

/** A file in the repository. `name` is empty for `config`. */
export interface Handle {
  type: FileType
  name: string
}

export interface FileInfo {
  name: string
  size: number
}

export interface Backend {
  /** A human-readable location for messages (a path or URL without credentials). */
  readonly location: string
  /** Create the repository's structure (directories). Fails if a config exists already. */
  create: (options?: AbortOptions) => Promise<void>
  /** Files of one type with their sizes. Order is unspecified. */
  list: (type: Exclude<FileType, 'config'>, options?: AbortOptions) => Promise<FileInfo[]>
  /** Size of the file; throws `NotFoundError` if absent. */
  stat: (h: Handle, options?: AbortOptions) => Promise<FileInfo>
  /** Bytes `[offset, offset+length)`, or to the end when `length` is undefined. Throws `NotFoundError`. */
  read: (h: Handle, range?: { offset: number, length?: number | undefined }, options?: AbortOptions) => Promise<Uint8Array>
  /** Store a file atomically; files are never overwritten with different content. */
  write: (h: Handle, data: Uint8Array, options?: AbortOptions) => Promise<void>
  /** Delete a file; absent files are not an error. */
  remove: (h: Handle, options?: AbortOptions) => Promise<void>
}

/** restic names every file but `config` by the hex SHA-256 of its content. */
const FILE_NAME = /^[0-9a-f]{64}$/

/**
 * True when `name` can be a repository file's name. Backends list only such names: a name from a
 * repository (a UnixFS entry, a REST listing) becomes a path or URL, and "../config" must not.
 */
export function isFileName (name: string): boolean {
  return FILE_NAME.test(name)
}

/**
 * The repository-relative path of a handle in the local/sftp layout (data/xx/id).
 * @throws InvalidFileNameError when the name is not 64 lowercase hex digits
 */
export function handlePath (h: Handle): string {
  if (h.type === 'config') return 'config'
  if (!isFileName(h.name)) throw new InvalidFileNameError(h)
  if (h.type === 'data') return `data/${h.name.slice(0, 2)}/${h.name}`
  return `${h.type}/${h.name}`
}
