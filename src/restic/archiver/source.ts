/** What a backup reads from: a tree of entries with metadata, and file contents as streams. */
import type { AbortOptions } from '../../core/options.js'
import type { NodeType } from '../repofile/tree.js'

export interface SourceEntry {
  /** The name as text. For a name that is not valid UTF-8: Go's lossy form (see `nameBytes`). */
  name: string
  /** The name's bytes, only when they are not valid UTF-8 (restic stores them as `\xNN`). */
  nameBytes?: Uint8Array | undefined
  /** The path segment that names this entry in `list` and `open`, when it is not `name`. */
  key?: string | undefined
  type: NodeType
  /** Unix permission bits, including setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number
  /** Nanoseconds since the epoch. */
  mtimeNs: bigint
  atimeNs?: bigint | undefined
  ctimeNs?: bigint | undefined
  uid?: number | undefined
  gid?: number | undefined
  user?: string | undefined
  group?: string | undefined
  inode?: number | undefined
  deviceId?: number | undefined
  links?: number | undefined
  /** Files: size in bytes. */
  size?: number | undefined
  /** Symlinks: the target. */
  linktarget?: string | undefined
  /** Devices: rdev. */
  device?: number | undefined
  /** Extended attributes in the order the system lists them (never for symlinks, as restic). */
  xattrs?: Array<{ name: string, value: Uint8Array }> | undefined
}

export interface BackupSource {
  /** Absolute paths recorded in the snapshot's `paths`. */
  readonly paths: string[]
  /** Entries of a directory; `[]` is the snapshot root. */
  list: (dir: string[], options?: AbortOptions) => Promise<SourceEntry[]>
  /**
   * The contents of a file, as a stream of pieces. A piece stays valid only until the next one is
   * requested: a source may fill the same memory again (`readPieces` does), so a consumer copies
   * what it keeps and asks for one piece at a time. Sources read ahead on their own.
   */
  open: (path: string[], options?: AbortOptions) => AsyncIterable<Uint8Array>
}

/** An in-memory source: a nested object of files (Uint8Array), dirs (objects) and symlinks. */
export type MemoryTree = { [name: string]: Uint8Array | MemoryTree | { symlink: string } }

export class MemorySource implements BackupSource {
  readonly paths: string[]
  readonly #root: MemoryTree
  readonly #mtimeNs: bigint

  constructor (root: MemoryTree, paths: string[] = ['/'], mtimeNs = 1_700_000_000_000_000_000n) {
    this.#root = root
    this.paths = paths
    this.#mtimeNs = mtimeNs
  }

  #get (path: string[]): MemoryTree[string] | MemoryTree {
    let cur: MemoryTree[string] | MemoryTree = this.#root
    for (const p of path) cur = (cur as MemoryTree)[p] as MemoryTree[string]
    return cur
  }

  async list (dir: string[]): Promise<SourceEntry[]> {
    const d = this.#get(dir) as MemoryTree
    return Object.entries(d).map(([name, v]): SourceEntry => {
      const base = { name, mtimeNs: this.#mtimeNs, ctimeNs: this.#mtimeNs, uid: 0, gid: 0, links: 1 }
      if (v instanceof Uint8Array) return { ...base, type: 'file', mode: 0o644, size: v.length }
      if (typeof (v as { symlink?: unknown }).symlink === 'string') return { ...base, type: 'symlink', mode: 0o777, linktarget: (v as { symlink: string }).symlink }
      return { ...base, type: 'dir', mode: 0o755, links: undefined }
    })
  }

  async * open (path: string[]): AsyncGenerator<Uint8Array> {
    const f = this.#get(path) as Uint8Array
    for (let i = 0; i < f.length; i += 1 << 20) yield f.subarray(i, i + (1 << 20))
  }
}
