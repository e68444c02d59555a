/**
 * What the user picked or dropped (files and folders as `PickedEntry`s), seen by the restic
 * archiver as a tree. Each top-level name becomes a snapshot path (`/photos`), like
 * `restic backup photos`. Files are read as byte streams into a few reused buffers, never whole.
 *
 * Browsers give a file's size and last-modified time only: files get mode 0644, folders 0755, and
 * ctime = mtime. restic's change detection (mtime, ctime, size, inode) therefore skips a file on
 * the next backup exactly when its size and modification time are unchanged.
 */
import { CairnError } from '../core/errors.js'
import type { BackupSource, SourceEntry } from '../restic/archiver/source.js'
import { byobFill, readPieces } from '../restic/archiver/pieces.js'
import type { Fill } from '../restic/archiver/pieces.js'
import type { AbortOptions } from '../core/options.js'
import type { PickedEntry } from './file-sources.js'

interface DirNode { kind: 'dir', children: Map<string, DirNode | FileNode>, mtimeMs: number }
interface FileNode { kind: 'file', file: File }

/**
 * The BYOB readers of files being read. In Chromium 156 a Blob's byte stream that only its own
 * pending read refers to is garbage-collected with that read, which then never settles: the backup
 * hangs (seen in about one read of 512 MiB in six under the bench, and in most reads when forcing a
 * GC every 8 MiB). Holding the readers here keeps them alive until their file is read.
 */
const reading = new Set<ReadableStreamBYOBReader>()

/** Bytes per piece read from a file. */
const PIECE = 1 << 20
/** Pieces read ahead of the chunker. */
const READ_AHEAD = 4

export class PickedSource implements BackupSource {
  readonly paths: string[]
  readonly #root: DirNode = { kind: 'dir', children: new Map(), mtimeMs: 0 }
  /** Files and bytes to read, for progress. */
  readonly totalFiles: number
  readonly totalBytes: number

  constructor (entries: PickedEntry[]) {
    let files = 0
    let bytes = 0
    for (const e of entries) {
      const parts = e.path.split('/').filter(p => p !== '' && p !== '.')
      if (parts.length === 0) continue
      let dir = this.#root
      for (const [i, name] of parts.entries()) {
        const last = i === parts.length - 1
        const existing = dir.children.get(name)
        if (last && e.file !== undefined) {
          if (existing !== undefined) throw new DuplicatePathError(e.path)
          dir.children.set(name, { kind: 'file', file: e.file })
          files++
          bytes += e.file.size
          break
        }
        if (existing?.kind === 'file') throw new DuplicatePathError(e.path)
        let next = existing
        if (next === undefined) {
          next = { kind: 'dir', children: new Map(), mtimeMs: 0 }
          dir.children.set(name, next)
        }
        dir = next
      }
    }
    this.totalFiles = files
    this.totalBytes = bytes
    this.paths = [...this.#root.children.keys()].sort().map(n => `/${n}`)
    stampDirs(this.#root)
  }

  #get (path: string[]): DirNode | FileNode {
    let cur: DirNode | FileNode = this.#root
    for (const p of path) {
      const next: DirNode | FileNode | undefined = cur.kind === 'dir' ? cur.children.get(p) : undefined
      if (next === undefined) throw new Error(`${path.join('/')} is not in the selection`)
      cur = next
    }
    return cur
  }

  async list (dir: string[]): Promise<SourceEntry[]> {
    const d = this.#get(dir)
    if (d.kind !== 'dir') throw new Error(`${dir.join('/')} is a file, not a folder`)
    return [...d.children].map(([name, n]): SourceEntry => {
      if (n.kind === 'file') {
        const ns = BigInt(Math.round(n.file.lastModified)) * 1_000_000n
        return { name, type: 'file', mode: 0o644, mtimeNs: ns, ctimeNs: ns, size: n.file.size, links: 1, uid: 0, gid: 0 }
      }
      const ns = BigInt(Math.round(n.mtimeMs)) * 1_000_000n
      return { name, type: 'dir', mode: 0o755, mtimeNs: ns, ctimeNs: ns, uid: 0, gid: 0 }
    })
  }

  async * open (path: string[], options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
    const f = this.#get(path)
    if (f.kind !== 'file') throw new Error(`${path.join('/')} is a folder, not a file`)
    // One byte stream per file, read into a ring of reused buffers (see readPieces).
    let reader: ReadableStreamBYOBReader | undefined
    try {
      reader = f.file.stream().getReader({ mode: 'byob' })
    } catch {
      // A browser without byte streams: Blob slices, one after another.
    }
    if (reader !== undefined) reading.add(reader)
    try {
      yield * readPieces(reader !== undefined ? byobFill(reader) : sliceFill(f.file), { ...options, pieceSize: PIECE, ahead: READ_AHEAD })
    } finally {
      if (reader !== undefined) reading.delete(reader)
      await reader?.cancel().catch(() => {})
    }
  }
}

/** A `Fill` over Blob slices, for browsers whose `Blob.stream()` has no BYOB reader. */
function sliceFill (file: Blob): Fill {
  let pos = 0
  return async (buf) => {
    const bytes = new Uint8Array(await file.slice(pos, pos + buf.length).arrayBuffer())
    buf.set(bytes)
    pos += bytes.length
    return buf.subarray(0, bytes.length)
  }
}

/** A folder's mtime: the newest mtime below it (browsers do not report folder times). */
function stampDirs (d: DirNode): number {
  let newest = 0
  for (const c of d.children.values()) newest = Math.max(newest, c.kind === 'file' ? c.file.lastModified : stampDirs(c))
  d.mtimeMs = newest
  return newest
}

/** The same path was picked twice, or as both a file and a folder. */
export class DuplicatePathError extends CairnError {
  static override readonly code = 'ERR_DUPLICATE_PATH'
  constructor (path: string) {
    super(`"${path}" was picked twice (or as both a file and a folder). Pick each file or folder once.`)
  }
}
