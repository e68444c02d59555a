/** restic's local-folder layout on disk (Node): data/xx/<id>, atomic writes via rename, read-only files. */
import { open, readdir, rename, stat, unlink, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import type { Backend, FileInfo, FileType, Handle } from '../../restic/backend/backend.js'
import { handlePath } from '../../restic/backend/backend.js'
import { makeDir, makeDirs } from '../files/mkdirs.js'
import { BackendError, NotFoundError, RepositoryExistsError } from '../../restic/errors.js'
import { removeLeftoverTemps, tempName } from './temp-files.js'

export class LocalBackend implements Backend {
  readonly location: string
  readonly root: string
  /** Leftover temporary files of killed writers are removed before this backend's first write. */
  #cleanup: Promise<unknown> | undefined

  constructor (root: string) {
    this.root = root
    this.location = root
  }

  #path (h: Handle): string { return join(this.root, handlePath(h)) }

  #wrap (err: unknown, what: string): never {
    const code = (err as { code?: string }).code
    if (code === 'ENOENT') throw new NotFoundError(`${what} not found`, { cause: err })
    throw new BackendError(`${what}: ${(err as Error).message}. Check the path and its permissions.`, { cause: err })
  }

  async create (): Promise<void> {
    try { await stat(join(this.root, 'config')); throw new RepositoryExistsError(`a repository already exists at ${this.root}. Use another location.`) } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err
    }
    await makeDirs(this.root, 0o700)
    for (const d of ['keys', 'locks', 'snapshots', 'index', 'data']) await makeDir(join(this.root, d), 0o700)
    for (let i = 0; i < 256; i++) await makeDir(join(this.root, 'data', i.toString(16).padStart(2, '0')), 0o700)
  }

  async list (type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    const dirs = type === 'data' ? await this.#subdirs() : [join(this.root, type)]
    const out: FileInfo[] = []
    for (const dir of dirs) {
      let names: string[]
      try { names = await readdir(dir) } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') continue
        this.#wrap(err, `listing ${dir}`)
      }
      for (const name of names) {
        if (!/^[0-9a-f]{64}$/.test(name)) continue
        try { out.push({ name, size: (await stat(join(dir, name))).size }) } catch { /* removed meanwhile */ }
      }
    }
    return out
  }

  async #subdirs (): Promise<string[]> {
    try {
      return (await readdir(join(this.root, 'data'))).filter(n => /^[0-9a-f]{2}$/.test(n)).map(n => join(this.root, 'data', n))
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return []
      this.#wrap(err, 'listing data/')
    }
  }

  async stat (h: Handle): Promise<FileInfo> {
    try { return { name: h.name, size: (await stat(this.#path(h))).size } } catch (err) { this.#wrap(err, `${handlePath(h)} in ${this.root}`) }
  }

  async read (h: Handle, range?: { offset: number, length?: number | undefined }): Promise<Uint8Array> {
    let fh
    try { fh = await open(this.#path(h), 'r') } catch (err) { this.#wrap(err, `${handlePath(h)} in ${this.root}`) }
    try {
      const offset = range?.offset ?? 0
      const length = range?.length ?? Math.max(0, (await fh.stat()).size - offset)
      const buf = new Uint8Array(length)
      let got = 0
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got)
        if (bytesRead === 0) break
        got += bytesRead
      }
      return got === length ? buf : buf.slice(0, got)
    } finally {
      await fh.close()
    }
  }

  /** Remove temporary files left by killed writers (see temp-files.ts for which ones); returns their paths. */
  async removeLeftovers (): Promise<string[]> {
    const dirs = ['keys', 'locks', 'snapshots', 'index'].map(d => join(this.root, d))
    return await removeLeftoverTemps([...dirs, ...await this.#subdirs(), this.root])
  }

  async write (h: Handle, data: Uint8Array): Promise<void> {
    this.#cleanup ??= this.removeLeftovers().catch(() => {})
    await this.#cleanup
    const final = this.#path(h)
    const dir = final.slice(0, final.lastIndexOf('/'))
    const tmp = join(dir, tempName())
    try {
      await makeDirs(dir, 0o700)
      await writeFile(tmp, data, { mode: 0o600, flush: true })
      await chmod(tmp, 0o400)
      await rename(tmp, final)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      this.#wrap(err, `writing ${handlePath(h)} in ${this.root}`)
    }
  }

  async remove (h: Handle): Promise<void> {
    try { await unlink(this.#path(h)) } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') this.#wrap(err, `removing ${handlePath(h)}`)
    }
  }
}
