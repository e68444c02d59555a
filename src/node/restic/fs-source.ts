/**
 * A backup source over the local filesystem. Like restic, backing up `/a/b/c` produces a root tree
 * with `a` → `b` → `c`, the intermediate directories carrying their real metadata, and only the
 * named children listed; a relative `c` (or `../c`) is stored as `/c`.
 */
import { lstat, open, readdir, readlink } from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import { isAbsolute, normalize, resolve, sep } from 'node:path'
import { goLossyString, isValidUtf8 } from '../../restic/util/go-utf8.js'
import { userInfo } from 'node:os'
import type { AbortOptions } from '../../core/options.js'
import { NoBackupTargetError } from '../files/errors.js'
import type { BackupSource, SourceEntry } from '../../restic/archiver/source.js'
import { readPieces } from '../../restic/archiver/pieces.js'
import type { NodeType } from '../../restic/repofile/tree.js'
import type { Reject } from './excludes.js'
import { XattrAccess } from './xattrs.js'
import type { Warn } from './xattrs.js'

const SLASH = Buffer.from('/')
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

/** A backup target: where it is in the snapshot's tree, and where that tree path is on disk. */
interface Target {
  /** Tree segments, e.g. ['srv','fixture','src'] for /srv/fixture/src, or ['src'] for ../src. */
  tree: string[]
  /** The real directory the tree segments are joined to: "/" for an absolute target. */
  base: string
}

/**
 * restic 0.14's rule: an absolute target is stored under its full path; a relative one under its
 * cleaned path with leading ".." dropped (`src` and `../src` are both `/src`), while the
 * snapshot's `paths` still record the absolute path.
 */
function targetOf (target: string, cwd: string): Target {
  const absolute = resolve(cwd, target)
  const segments = absolute.split(sep).filter(s => s !== '')
  if (isAbsolute(target)) return { tree: segments, base: sep }
  const rel = normalize(target).split(sep).filter(s => s !== '' && s !== '.')
  while (rel[0] === '..') rel.shift()
  const tree = rel.length > 0 ? rel : segments.slice(-1)
  return { tree, base: sep + segments.slice(0, segments.length - tree.length).join(sep) }
}

export class FsSource implements BackupSource {
  readonly paths: string[]
  readonly #targets: Target[]
  readonly #names = new Map<number, string>()
  readonly #reject: Reject
  readonly #xattrs: XattrAccess
  readonly #stderr: (line: string) => void

  /**
   * `reject`: restic's exclusions (see `buildReject`); an excluded directory is not entered.
   * `warn`: why extended attributes are left out (no xattr module, a path that is not UTF-8);
   * `stderr`: restic's own line for an attribute that cannot be read.
   */
  constructor (targets: string[], cwd = process.cwd(), options: { reject?: Reject | undefined, warn?: Warn | undefined, stderr?: ((line: string) => void) | undefined } = {}) {
    this.paths = targets.map(t => resolve(cwd, t))
    this.#targets = targets.map(t => targetOf(t, cwd))
    this.#reject = options.reject ?? {}
    this.#xattrs = new XattrAccess(options.warn)
    this.#stderr = options.stderr ?? (() => {})
  }

  /** The entry at `path`, or undefined when an exclusion leaves it out. */
  async #included (path: string[], raw?: Buffer): Promise<SourceEntry | undefined> {
    const { byName, byInfo } = this.#reject
    const abs = byName !== undefined || byInfo !== undefined ? this.#real(path).toString('utf8') : ''
    if (byName !== undefined && await byName(abs)) return undefined
    const e = await this.#entry(path, raw)
    if (byInfo !== undefined && await byInfo(abs, e)) return undefined
    return e
  }

  #isTarget (path: string[]): boolean {
    return this.#targets.some(t => t.tree.length === path.length && t.tree.every((s, i) => path[i] === s))
  }

  /**
   * The path's bytes. A segment is a name, or (for a name that is not valid UTF-8) `\0` and the
   * name's bytes in hex: no file name contains a NUL, and a JS string cannot hold the raw bytes.
   */
  #real (path: string[]): Buffer {
    const t = this.#targets.find(t => t.tree.every((s, i) => i >= path.length || path[i] === s)) ?? { base: sep }
    const base = Buffer.from(t.base === sep ? '' : t.base)
    if (path.length === 0) return t.base === sep ? SLASH : Buffer.from(t.base)
    return Buffer.concat([base, ...path.flatMap(s => [SLASH, s.startsWith('\0') ? Buffer.from(s.slice(1), 'hex') : Buffer.from(s)])])
  }

  /** True when `path` is at or below one of the targets. */
  #inside (path: string[]): boolean {
    return this.#targets.some(t => t.tree.length <= path.length && t.tree.every((s, i) => path[i] === s))
  }

  #user (uid: number): string | undefined {
    if (!this.#names.has(uid)) {
      try { this.#names.set(uid, uid === userInfo().uid ? userInfo().username : uid === 0 ? 'root' : '') } catch { this.#names.set(uid, '') }
    }
    const n = this.#names.get(uid)
    return n === '' ? undefined : n
  }

  async #entry (path: string[], raw?: Buffer): Promise<SourceEntry> {
    const real = this.#real(path)
    const st = await lstat(real, { bigint: true })
    const type = typeOf(st)
    const e: SourceEntry = {
      name: raw === undefined ? path[path.length - 1] as string : goLossyString(raw),
      nameBytes: raw,
      key: raw === undefined ? undefined : path[path.length - 1],
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
    // restic 0.14 writes a target that is not valid UTF-8 through encoding/json: U+FFFD per bad byte.
    if (type === 'symlink') e.linktarget = goLossyString(await readlink(real, { encoding: 'buffer' }))
    if (type === 'dev' || type === 'chardev') e.device = Number(st.rdev)
    // As restic's fillExtendedAttributes: every node but a symbolic link.
    if (type !== 'symlink') e.xattrs = await this.#xattrs.read(real, this.#stderr)
    return e
  }

  async list (dir: string[], _options?: AbortOptions): Promise<SourceEntry[]> {
    if (this.#inside(dir)) {
      // Raw names: a name that is not valid UTF-8 would come back mangled as text, and lstat of the
      // mangled name would fail (ENOENT), leaving the file out without a word.
      const names = await readdir(this.#real(dir), { encoding: 'buffer' })
      const entries = await Promise.all(names.map(async raw => {
        const valid = isValidUtf8(raw)
        const segment = valid ? raw.toString('utf8') : '\0' + raw.toString('hex')
        return await this.#included([...dir, segment], valid ? undefined : raw)
      }).map(async p => await p.catch((err: unknown) => {
        if ((err as { code?: string }).code === 'ENOENT') return undefined // removed since readdir
        throw err
      })))
      return entries.filter((e): e is SourceEntry => e !== undefined)
    }
    // Above the targets: only the next component of each target below `dir`.
    const next = new Set<string>()
    for (const { tree: t } of this.#targets) {
      if (t.length > dir.length && dir.every((s, i) => t[i] === s)) next.add(t[dir.length] as string)
    }
    // A target itself may be excluded; the directories above the targets never are.
    const entries = await Promise.all([...next].map(async n => this.#isTarget([...dir, n]) ? await this.#included([...dir, n]) : await this.#entry([...dir, n])))
    return entries.filter((e): e is SourceEntry => e !== undefined)
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

/**
 * restic's check before a backup: targets that do not exist (ENOENT) are left out with a warning
 * (`<target> does not exist, skipping`, the target as given); if none is left, the backup is
 * refused (`Fatal: all target directories/files do not exist`, exit 1, no snapshot).
 */
export async function existingTargets (targets: string[], cwd: string, options: { onMissing?: (target: string) => void } = {}): Promise<string[]> {
  const existing: string[] = []
  for (const t of targets) {
    try {
      await lstat(resolve(cwd, t))
      existing.push(t)
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') { existing.push(t); continue } // reported by the backup itself
      options.onMissing?.(t)
    }
  }
  if (existing.length === 0) throw new NoBackupTargetError(`all target directories/files do not exist (${targets.join(', ')}): check the paths to back up.`)
  return existing
}
