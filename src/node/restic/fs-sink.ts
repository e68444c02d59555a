/** A restore sink writing to a local directory: files via a temporary name, then mode, owner and times. */
import { chmod, lchown, link, lutimes, mkdir, open, rename, symlink, unlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import type { RestoreSink } from '../../restic/restorer/sink.js'
import type { Node } from '../../restic/repofile/tree.js'
import { unixPermissions } from '../../restic/repofile/tree.js'
import { parseTime } from '../../restic/util/go-json.js'

function seconds (t: string): number {
  return Number(parseTime(t)) / 1e9
}

export class FsSink implements RestoreSink {
  readonly target: string
  readonly #chown: boolean

  constructor (target: string) {
    this.target = target
    this.#chown = typeof process.getuid === 'function' && process.getuid() === 0
  }

  #p (path: string[]): string { return join(this.target, ...path) }

  async mkdir (path: string[]): Promise<void> {
    await mkdir(this.#p(path), { recursive: true, mode: 0o700 })
  }

  async writeFile (path: string[], _node: Node, content: AsyncIterable<Uint8Array>): Promise<void> {
    const final = this.#p(path)
    await mkdir(join(final, '..'), { recursive: true, mode: 0o700 })
    const tmp = final + '.cairn-restore-tmp'
    const fh = await open(tmp, 'w', 0o600)
    try {
      for await (const piece of content) await fh.write(piece)
      await fh.close()
      await rename(tmp, final)
    } catch (err) {
      await fh.close().catch(() => {})
      await unlink(tmp).catch(() => {})
      throw err
    }
  }

  async symlink (path: string[], node: Node): Promise<void> {
    const p = this.#p(path)
    await unlink(p).catch(() => {})
    await symlink(node.linktarget ?? '', p)
  }

  async hardlink (path: string[], existing: string[]): Promise<void> {
    const p = this.#p(path)
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
    if (node.mode !== undefined) await chmod(p, unixPermissions(node.mode))
    await utimes(p, seconds(node.atime), seconds(node.mtime))
  }
}
