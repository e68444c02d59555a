/**
 * A restore sink writing to a local directory: files via a temporary name, then mode, owner,
 * times and extended attributes (xattrs.ts). Nothing is ever written through a symbolic link below the target: every directory on the
 * way is checked with lstat to be a real directory (created by this restore or already there),
 * temporary files are opened with O_EXCL | O_NOFOLLOW, and each path segment must pass the name
 * rule of `core/names.ts` (the restorer checks it too; this sink does not rely on that).
 *
 * Paths are built as bytes: a name that is not UTF-8 (escaped by core/raw-names.ts) is restored
 * with its original bytes, as restic does. Times are set to the microsecond (Node's fs, through
 * libuv, takes no finer time), dates before 1970 included; a missing mode is mode 0, as restic
 * stores it. FIFOs and device nodes are made with `mkfifo`/`mknod`, as restic's mknod does.
 */
import { constants } from 'node:fs'
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rename, symlink, unlink, utimes } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { UnsafeNameError } from '../../core/errors.js'
import { showName, unsafeNameReason } from '../../core/names.js'
import { rawNameBytes } from '../../core/raw-names.js'
import { RestoreTargetError, SpecialFileError } from '../../restic/errors.js'
import type { RestoreSink, SinkEntry } from '../../restic/restorer/sink.js'
import { readPieces } from '../../restic/archiver/pieces.js'
import type { Node } from '../../restic/repofile/tree.js'
import { unixPermissions } from '../../restic/repofile/tree.js'
import { parseTime } from '../../restic/util/go-json.js'
import { XattrAccess } from './xattrs.js'
import type { Warn } from './xattrs.js'

const run = promisify(execFile)
const SLASH = Buffer.from('/')

/**
 * A time for `utimes` that lands on the right microsecond. libuv truncates what it is given to
 * whole microseconds (towards zero, then borrows for negative times), so the value passed is the
 * floor microsecond plus (or, before 1970, minus) half a microsecond; a numeric string is the only
 * form Node accepts for a time before 1970 (a negative number becomes "now").
 */
export function fsTime (t: string): string {
  const ns = parseTime(t)
  const us = ns >= 0n ? ns / 1000n : -((-ns + 999n) / 1000n)
  const tenths = us * 10n + (us >= 0n ? 5n : -5n) // units of 100 ns
  const neg = tenths < 0n
  const abs = neg ? -tenths : tenths
  return `${neg ? '-' : ''}${abs / 10_000_000n}.${(abs % 10_000_000n).toString().padStart(7, '0')}`
}

/** O_NOFOLLOW is missing on Windows, where the segment check and lstat walk still apply. */
const CREATE_TMP = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)

function shown (path: string[]): string {
  return '/' + path.map(showName).join('/')
}

/** Linux dev_t → major, minor (glibc's gnu_dev_major/minor). */
function devNumbers (dev: number): [number, number] {
  const d = BigInt(dev)
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn)
  return [Number(major), Number(minor)]
}

export class FsSink implements RestoreSink {
  readonly target: string
  readonly #chown: boolean
  /** Directories (segments joined by "/"; "" is the target) checked to be real directories. */
  readonly #realDirs = new Set<string>()
  readonly #backslash = process.platform === 'win32'
  readonly #xattrs: XattrAccess

  /** `warn`: why extended attributes are left out (no xattr module, a path that is not UTF-8). */
  constructor (target: string, options: { warn?: Warn | undefined } = {}) {
    this.target = target
    this.#chown = typeof process.getuid === 'function' && process.getuid() === 0
    this.#xattrs = new XattrAccess(options.warn)
  }

  #p (path: string[]): Buffer {
    const parts: Buffer[] = [Buffer.from(this.target)]
    for (let i = 0; i < path.length; i++) {
      const reason = unsafeNameReason(path[i] as string, { backslash: this.#backslash })
      if (reason !== undefined) throw new UnsafeNameError(shown(path.slice(0, i)), showName(path[i] as string), reason)
      parts.push(SLASH, Buffer.from(rawNameBytes(path[i] as string)))
    }
    return Buffer.concat(parts)
  }

  /** Makes `dir` and each directory above it (below the target) a real directory, never a link. */
  async #realDir (dir: string[]): Promise<Buffer> {
    if (!this.#realDirs.has('')) {
      await mkdir(this.target, { recursive: true, mode: 0o700 })
      this.#realDirs.add('')
    }
    for (let i = 1; i <= dir.length; i++) {
      const key = dir.slice(0, i).join('/')
      if (this.#realDirs.has(key)) continue
      const p = this.#p(dir.slice(0, i))
      try {
        await mkdir(p, { mode: 0o700 })
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw err
      }
      const st = await lstat(p)
      if (!st.isDirectory()) throw new RestoreTargetError(shown(dir.slice(0, i)), st.isSymbolicLink() ? 'a symbolic link' : 'not a directory')
      this.#realDirs.add(key)
    }
    return this.#p(dir)
  }

  async mkdir (path: string[]): Promise<void> {
    await this.#realDir(path)
  }

  async writeFile (path: string[], _node: Node, content: AsyncIterable<Uint8Array>): Promise<void> {
    const final = this.#p(path)
    const dir = await this.#realDir(path.slice(0, -1))
    // A fresh name, created exclusively and never through a link: a node named like the temporary
    // file cannot redirect the write.
    const tmp = Buffer.concat([dir, Buffer.from(`/.cairn-restore-${randomBytes(8).toString('hex')}.tmp`)])
    const fh = await open(tmp, CREATE_TMP, 0o600)
    try {
      for await (const piece of content) await fh.write(piece)
      await fh.close()
      // rename replaces a link at `final` instead of following it.
      await rename(tmp, final)
    } catch (err) {
      await fh.close().catch(() => {})
      await unlink(tmp).catch(() => {})
      throw err
    }
  }

  async symlink (path: string[], node: Node): Promise<void> {
    const p = this.#p(path)
    await this.#realDir(path.slice(0, -1))
    await unlink(p).catch(() => {})
    await symlink(node.linktarget ?? '', p)
  }

  async hardlink (path: string[], existing: string[]): Promise<void> {
    const p = this.#p(path)
    await this.#realDir(path.slice(0, -1))
    await unlink(p).catch(() => {})
    await link(this.#p(existing), p)
  }

  /**
   * A FIFO, or (as root) a block or character device; a socket is skipped, as restic does. The
   * node is made under a fresh ASCII name in the target (the tools take text paths), then renamed
   * into place, so a name that is not UTF-8 keeps its bytes.
   */
  async special (path: string[], node: Node): Promise<void> {
    if (node.type === 'socket') return
    const p = this.#p(path)
    await this.#realDir(path.slice(0, -1))
    const tmp = `${this.target}/.cairn-restore-${randomBytes(8).toString('hex')}.tmp`
    const args = node.type === 'fifo'
      ? ['mkfifo', ['-m', '600', tmp]] as const
      : node.type === 'dev' || node.type === 'chardev'
        ? ['mknod', ['-m', '600', tmp, node.type === 'dev' ? 'b' : 'c', ...devNumbers(node.device ?? 0).map(String)]] as const
        : undefined
    if (args === undefined) throw new SpecialFileError(shown(path), `its type "${node.type}" cannot be restored`)
    try {
      await run(args[0], [...args[1]])
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim()
      const why = (err as { code?: unknown }).code === 'ENOENT' ? `${args[0]} is not installed` : stderr !== '' ? stderr : (err as Error).message
      throw new SpecialFileError(shown(path), why, { cause: err })
    }
    await unlink(p).catch(() => {})
    await rename(tmp, p).catch(async (err: unknown) => { await unlink(tmp).catch(() => {}); throw err })
  }

  async setMetadata (path: string[], node: Node): Promise<void> {
    const p = this.#p(path)
    if (this.#chown) await lchown(p, node.uid, node.gid).catch(() => {})
    if (node.type === 'symlink') {
      await lutimes(p, fsTime(node.atime), fsTime(node.mtime)).catch(() => {})
      return
    }
    // chmod and utimes follow links: never apply them to one.
    if ((await lstat(p)).isSymbolicLink()) throw new RestoreTargetError(shown(path), 'a symbolic link')
    // Extended attributes before the mode (restic 0.14 sets them last): user.* needs write access,
    // so a read-only file would lose them (restic loses them without a word). Setting one changes
    // only the ctime, so the end state is restic's. Never for a symbolic link: restic backs up none,
    // and a crafted node must not reach the target. A failure is reported once the rest is set.
    const xattrError = await this.#xattrs.write(p, node.extended_attributes ?? []).then(() => undefined, (err: unknown) => err)
    // restic leaves `mode` out when it is 0 (a file with no permission bits): that is mode 0.
    await chmod(p, unixPermissions(node.mode ?? 0))
    await utimes(p, fsTime(node.atime), fsTime(node.mtime))
    if (xattrError !== undefined) throw xattrError
  }

  async stat (path: string[]): Promise<SinkEntry | undefined> {
    try {
      const st = await lstat(this.#p(path), { bigint: true })
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : st.isCharacterDevice() ? 'chardev' : st.isBlockDevice() ? 'dev' : 'irregular'
      return { type, size: Number(st.size), mtimeNs: st.mtimeNs }
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined
      throw err
    }
  }

  async * read (path: string[]): AsyncGenerator<Uint8Array> {
    const fh = await open(this.#p(path), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
    try {
      if (!(await fh.stat()).isFile()) throw new RestoreTargetError(shown(path), 'not a regular file')
      yield * readPieces(async (buf) => {
        let n = 0
        while (n < buf.length) {
          const { bytesRead } = await fh.read(buf, n, buf.length - n, null)
          if (bytesRead === 0) break
          n += bytesRead
        }
        return buf.subarray(0, n)
      })
    } finally {
      await fh.close()
    }
  }
}
