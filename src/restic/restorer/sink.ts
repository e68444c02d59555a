/** Where a restore writes to. Paths are segments relative to the restore target. */
import type { AbortOptions } from '../../core/options.js'
import type { Node, NodeType } from '../repofile/tree.js'
import { parseTime } from '../util/go-json.js'

/** What is at a path in the target before it is restored. `mtimeNs`: nanoseconds since the epoch. */
export interface SinkEntry { type: NodeType, size: number, mtimeNs: bigint }

export interface RestoreSink {
  /** Create a directory; its parent exists. Called before its contents. */
  mkdir: (path: string[], node: Node, options?: AbortOptions) => Promise<void>
  /** Write a file from its content pieces, in order. The pieces arrive one blob at a time. */
  writeFile: (path: string[], node: Node, content: AsyncIterable<Uint8Array>, options?: AbortOptions) => Promise<void>
  /** Create a symbolic link to `node.linktarget`. */
  symlink: (path: string[], node: Node, options?: AbortOptions) => Promise<void>
  /** Create a device, FIFO or socket node; sinks that cannot may skip it. */
  special?: (path: string[], node: Node, options?: AbortOptions) => Promise<void>
  /** Make `path` another name for the already restored file `existing` (hardlinks); optional. */
  hardlink?: (path: string[], existing: string[], node: Node, options?: AbortOptions) => Promise<void>
  /** Apply mode, ownership and times; directories get this after their contents. */
  setMetadata: (path: string[], node: Node, options?: AbortOptions) => Promise<void>
  /** What is at `path` now, undefined when nothing (for `overwrite`); sinks without it are taken as empty. */
  stat?: (path: string[], options?: AbortOptions) => Promise<SinkEntry | undefined>
  /** The file at `path` as written, for `verify` and the overwrite checks; never through a link. */
  read?: (path: string[], options?: AbortOptions) => AsyncIterable<Uint8Array>
}

/** A sink that keeps everything in memory (tests, small previews in a page). */
export class MemorySink implements RestoreSink {
  readonly entries = new Map<string, { node: Node, data?: Uint8Array, metadataSet: boolean }>()

  async mkdir (path: string[], node: Node): Promise<void> {
    this.entries.set(path.join('/'), { node, metadataSet: false })
  }

  async writeFile (path: string[], node: Node, content: AsyncIterable<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = []
    let n = 0
    for await (const c of content) { parts.push(c); n += c.length }
    const data = new Uint8Array(n)
    let o = 0
    for (const p of parts) { data.set(p, o); o += p.length }
    this.entries.set(path.join('/'), { node, data, metadataSet: false })
  }

  async symlink (path: string[], node: Node): Promise<void> {
    this.entries.set(path.join('/'), { node, metadataSet: false })
  }

  async special (path: string[], node: Node): Promise<void> {
    this.entries.set(path.join('/'), { node, metadataSet: false })
  }

  async setMetadata (path: string[], _node: Node): Promise<void> {
    const e = this.entries.get(path.join('/'))
    if (e !== undefined) e.metadataSet = true
  }

  async stat (path: string[]): Promise<SinkEntry | undefined> {
    const e = this.entries.get(path.join('/'))
    if (e === undefined) return undefined
    return { type: e.node.type, size: e.data?.length ?? 0, mtimeNs: parseTime(e.node.mtime) }
  }

  async * read (path: string[]): AsyncGenerator<Uint8Array> {
    const e = this.entries.get(path.join('/'))
    if (e?.data === undefined) throw new Error(`${path.join('/')} is not a restored file`)
    yield e.data
  }
}
