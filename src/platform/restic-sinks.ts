/**
 * Where the Backups page restores to:
 * - `DirectorySink`: a folder the user chose through the File System Access API (or the origin
 *   private file system). Files are written as they stream, one blob at a time.
 * - `ZipSink`: bridges the restorer (which pushes files) to a zip writer (which pulls entries), so
 *   a restore streams out as a .zip with one file's piece in memory at a time; `tarFromEntries`
 *   (./restic-tar.ts) writes the same entries as a .tar.
 * Browsers cannot set modes, owners or times on files, nor create symlinks: those are skipped and
 * counted in `skipped`.
 * Every path segment must pass the name rule of `core/names.ts` with "\\" refused too (a separator
 * for Windows folders and for zip extractors): a refused entry throws `UnsafeNameError`, which the
 * restorer reports for that path while it restores the rest.
 */
import { writeFileHandle } from './save-file.js'
import { UnsafeNameError } from '../core/errors.js'
import { showName, unsafeNameReason } from '../core/names.js'
import type { Node } from '../restic/repofile/tree.js'
import type { RestoreSink } from '../restic/restorer/sink.js'
import type { AbortOptions } from '../core/options.js'

/** Throws `UnsafeNameError` for the first segment of `path` that cannot be a folder or zip entry name. */
export function checkEntryPath (path: readonly string[]): void {
  for (let i = 0; i < path.length; i++) {
    const reason = unsafeNameReason(path[i] as string, { backslash: true })
    if (reason !== undefined) throw new UnsafeNameError('/' + path.slice(0, i).map(showName).join('/'), showName(path[i] as string), reason)
  }
}

export class DirectorySink implements RestoreSink {
  readonly #dirs = new Map<string, FileSystemDirectoryHandle>()
  skipped: string[] = []

  constructor (root: FileSystemDirectoryHandle) {
    this.#dirs.set('', root)
  }

  async #dir (path: string[]): Promise<FileSystemDirectoryHandle> {
    checkEntryPath(path)
    const key = path.join('/')
    const known = this.#dirs.get(key)
    if (known !== undefined) return known
    const parent = await this.#dir(path.slice(0, -1))
    const h = await parent.getDirectoryHandle(path[path.length - 1] as string, { create: true })
    this.#dirs.set(key, h)
    return h
  }

  async mkdir (path: string[]): Promise<void> {
    await this.#dir(path)
  }

  async writeFile (path: string[], _node: Node, content: AsyncIterable<Uint8Array>, options: AbortOptions = {}): Promise<void> {
    checkEntryPath(path)
    const dir = await this.#dir(path.slice(0, -1))
    const handle = await dir.getFileHandle(path[path.length - 1] as string, { create: true })
    await writeFileHandle(handle, content, options.signal)
  }

  async symlink (path: string[], node: Node): Promise<void> {
    this.skipped.push(`/${path.join('/')} (symlink to ${node.linktarget ?? '?'})`)
  }

  async special (path: string[]): Promise<void> {
    this.skipped.push(`/${path.join('/')} (device, FIFO or socket)`)
  }

  async setMetadata (): Promise<void> {
    // The File System Access API has no way to set modes or times.
  }
}

/** restic's RFC 3339 times carry nanoseconds; Date wants at most milliseconds. */
export function nodeTime (t: string): Date {
  const d = new Date(t.replace(/(\.\d{3})\d+/, '$1'))
  return Number.isNaN(d.getTime()) ? new Date(0) : d
}

export interface ZipEntry {
  name: string
  lastModified: Date
  input?: AsyncIterable<Uint8Array>
  /** For a tar (./restic-tar.ts): the file's size as the snapshot says (the header needs it first) and its mode. */
  tar?: { size: number, mode: number } | undefined
}

/**
 * A restore sink whose files come out of `entries()` for a zip writer. `writeFile` resolves only
 * once the zip writer has read the whole file, so at most one file is in flight.
 */
export class ZipSink implements RestoreSink {
  readonly #prefix: string
  readonly #queue: Array<ZipEntry | { end: true, error?: unknown }> = []
  #wake: (() => void) | undefined
  skipped: string[] = []

  /** `prefix`: the folder every entry is put under in the zip (e.g. the snapshot's short ID). */
  constructor (prefix: string) {
    if (prefix !== '') checkEntryPath([prefix])
    this.#prefix = prefix === '' ? '' : `${prefix}/`
  }

  #push (item: ZipEntry | { end: true, error?: unknown }): void {
    this.#queue.push(item)
    this.#wake?.()
  }

  /** No more entries: the zip is finished (or fails with `error`). */
  end (error?: unknown): void {
    this.#push(error === undefined ? { end: true } : { end: true, error })
  }

  async * entries (): AsyncGenerator<ZipEntry> {
    while (true) {
      const item = this.#queue.shift()
      if (item === undefined) {
        await new Promise<void>(resolve => { this.#wake = resolve })
        this.#wake = undefined
        continue
      }
      if ('end' in item) {
        if (item.error !== undefined) throw item.error
        return
      }
      yield item
    }
  }

  async mkdir (path: string[], node: Node): Promise<void> {
    checkEntryPath(path)
    this.#push({ name: `${this.#prefix}${path.join('/')}/`, lastModified: nodeTime(node.mtime), tar: { size: 0, mode: node.mode ?? 0o755 } })
  }

  async writeFile (path: string[], node: Node, content: AsyncIterable<Uint8Array>, options: AbortOptions = {}): Promise<void> {
    checkEntryPath(path)
    options.signal?.throwIfAborted()
    let finish!: () => void
    let fail!: (err: unknown) => void
    const read = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject })
    async function * input (): AsyncGenerator<Uint8Array> {
      try {
        for await (const piece of content) yield piece
        finish()
      } catch (err) {
        // The zip keeps what was read; the restorer reports this file as failed.
        fail(err)
      }
    }
    this.#push({ name: `${this.#prefix}${path.join('/')}`, lastModified: nodeTime(node.mtime), input: input(), tar: { size: node.size ?? 0, mode: node.mode ?? 0o644 } })
    // A cancel, or an archive writer that stopped reading, must not leave the restorer waiting here.
    const signal = options.signal
    if (signal === undefined) { await read; return }
    const onAbort = (): void => { fail(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    try { await read } finally { signal.removeEventListener('abort', onAbort) }
  }

  async symlink (path: string[], node: Node): Promise<void> {
    this.skipped.push(`/${path.join('/')} (symlink to ${node.linktarget ?? '?'})`)
  }

  async special (path: string[]): Promise<void> {
    this.skipped.push(`/${path.join('/')} (device, FIFO or socket)`)
  }

  async setMetadata (): Promise<void> {
    // Times are carried by the entries themselves.
  }
}
