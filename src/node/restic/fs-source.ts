/**
 * A backup source over the local filesystem. Like restic, backing up `/a/b/c` produces a root tree
 * with `a` → `b` → `c`, the intermediate directories carrying their real metadata, and only the
 * named children listed.
 */
import { lstat, open, readdir, readlink } from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import { resolve, sep } from 'node:path'
import { userInfo } from 'node:os'
import type { AbortOptions } from '../../core/options.js'
import type { BackupSource, SourceEntry } from '../../restic/archiver/source.js'
import { readPieces } from '../../restic/archiver/pieces.js'
import type { NodeType } from '../../restic/repofile/tree.js'

const READ_SIZE = 1 << 20
/** Pieces read ahead of the chunker. */
const READ_AHEAD = 4

function typeOf (st: BigIntStats): NodeType {
  if (st.isFile()) return 'file'
  if (st.isDirectory()) return 'dir'
  if (st.isSymbolicLink()) return 'symlink'
  if (st.isBlockDevice()) return 'dev'
  if (st.isCharacterDevice()) return 'chardev'
  if (st.isFIFO()) return 'fifo'
  if (st.isSocket()) return 'socket'
  return 'irregular'
}

export class FsSource implements BackupSource {
  readonly paths: string[]
  /** Segment paths of the targets, e.g. [['srv','fixture','src']]. */
  readonly #targets: string[][]
  readonly #names = new Map<number, string>()

  constructor (targets: string[], cwd = process.cwd()) {
    this.paths = targets.map(t => resolve(cwd, t))
    this.#targets = this.paths.map(p => p.split(sep).filter(s => s !== ''))
  }

  #real (path: string[]): string { return '/' + path.join('/') }

  /** True when `path` is at or below one of the targets. */
  #inside (path: string[]): boolean {
    return this.#targets.some(t => t.length <= path.length && t.every((s, i) => path[i] === s))
  }

  #user (uid: number): string | undefined {
    if (!this.#names.has(uid)) {
      try { this.#names.set(uid, uid === userInfo().uid ? userInfo().username : uid === 0 ? 'root' : '') } catch { this.#names.set(uid, '') }
    }
    const n = this.#names.get(uid)
    return n === '' ? undefined : n
  }

  async #entry (path: string[]): Promise<SourceEntry> {
    const real = this.#real(path)
    const st = await lstat(real, { bigint: true })
    const type = typeOf(st)
    const e: SourceEntry = {
      name: path[path.length - 1] as string,
      type,
      mode: Number(st.mode & 0o7777n),
      mtimeNs: st.mtimeNs,
      atimeNs: st.atimeNs,
      ctimeNs: st.ctimeNs,
      uid: Number(st.uid),
      gid: Number(st.gid),
      user: this.#user(Number(st.uid)),
      group: Number(st.gid) === 0 ? 'root' : undefined,
      inode: Number(st.ino),
      deviceId: Number(st.dev),
      links: Number(st.nlink)
    }
    if (type === 'file') e.size = Number(st.size)
    if (type === 'symlink') e.linktarget = await readlink(real)
    if (type === 'dev' || type === 'chardev') e.device = Number(st.rdev)
    return e
  }

  async list (dir: string[], _options?: AbortOptions): Promise<SourceEntry[]> {
    if (this.#inside(dir)) {
      const names = await readdir(this.#real(dir))
      const entries = await Promise.all(names.map(async n => await this.#entry([...dir, n]).catch((err: unknown) => {
        if ((err as { code?: string }).code === 'ENOENT') return undefined // removed since readdir
        throw err
      })))
      return entries.filter((e): e is SourceEntry => e !== undefined)
    }
    // Above the targets: only the next component of each target below `dir`.
    const next = new Set<string>()
    for (const t of this.#targets) {
      if (t.length > dir.length && dir.every((s, i) => t[i] === s)) next.add(t[dir.length] as string)
    }
    return await Promise.all([...next].map(async n => await this.#entry([...dir, n])))
  }

  async * open (path: string[], options?: AbortOptions): AsyncGenerator<Uint8Array> {
    const fh = await open(this.#real(path), 'r')
    try {
      // A ring of reused buffers, read ahead of the chunker (see readPieces).
      yield * readPieces(async (buf) => {
        let n = 0
        while (n < buf.length) {
          const { bytesRead } = await fh.read(buf, n, buf.length - n, null)
          if (bytesRead === 0) break
          n += bytesRead
        }
        return buf.subarray(0, n)
      }, { signal: options?.signal, pieceSize: READ_SIZE, ahead: READ_AHEAD })
    } finally {
      await fh.close()
    }
  }
}
