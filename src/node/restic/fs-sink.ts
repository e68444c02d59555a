/**
 * A restore sink writing to a local directory: files via a temporary name, then mode, owner and
 * times. Nothing is ever written through a symbolic link below the target: every directory on the
 * way is checked with lstat to be a real directory (created by this restore or already there),
 * temporary files are opened with O_EXCL | O_NOFOLLOW, and each path segment must pass the name
 * rule of `core/names.ts` (the restorer checks it too; this sink does not rely on that).
 */
import { constants } from 'node:fs'
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rename, symlink, unlink, utimes } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { UnsafeNameError } from '../../core/errors.js'
import { showName, unsafeNameReason } from '../../core/names.js'
import { RestoreTargetError } from '../../restic/errors.js'
import type { RestoreSink } from '../../restic/restorer/sink.js'
import type { Node } from '../../restic/repofile/tree.js'
import { unixPermissions } from '../../restic/repofile/tree.js'
import { parseTime } from '../../restic/util/go-json.js'

function seconds (t: string): number {
  return Number(parseTime(t)) / 1e9
}

/** O_NOFOLLOW is missing on Windows, where the segment check and lstat walk still apply. */
const CREATE_TMP = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)

function shown (path: string[]): string {
  return '/' + path.map(showName).join('/')
}

export class FsSink implements RestoreSink {
  readonly target: string
  readonly #chown: boolean
  /** Directories (segments joined by "/"; "" is the target) checked to be real directories. */
  readonly #realDirs = new Set<string>()
  readonly #backslash = process.platform === 'win32'

  constructor (target: string) {
    this.target = target
    this.#chown = typeof process.getuid === 'function' && process.getuid() === 0
  }

  #p (path: string[]): string {
    for (let i = 0; i < path.length; i++) {
      const reason = unsafeNameReason(path[i] as string, { backslash: this.#backslash })
      if (reason !== undefined) throw new UnsafeNameError(shown(path.slice(0, i)), showName(path[i] as string), reason)
    }
    return join(this.target, ...path)
  }

  /** Makes `dir` and each directory above it (below the target) a real directory, never a link. */
  async #realDir (dir: string[]): Promise<string> {
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
    const tmp = join(dir, `.cairn-restore-${randomBytes(8).toString('hex')}.tmp`)
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

  async setMetadata (path: string[], node: Node): Promise<void> {
    const p = this.#p(path)
    if (this.#chown) await lchown(p, node.uid, node.gid).catch(() => {})
    if (node.type === 'symlink') {
      await lutimes(p, seconds(node.atime), seconds(node.mtime)).catch(() => {})
      return
    }
    // chmod and utimes follow links: never apply them to one.
    if ((await lstat(p)).isSymbolicLink()) throw new RestoreTargetError(shown(path), 'a symbolic link')
    if (node.mode !== undefined) await chmod(p, unixPermissions(node.mode))
    await utimes(p, seconds(node.atime), seconds(node.mtime))
  }
}
