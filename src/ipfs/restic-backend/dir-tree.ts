/**
 * The directories of an IPFS-hosted repository as the backend sees them between flushes: the
 * current CID of each directory looked up or changed, and which of them are not yet linked into
 * their parent. Lookups work on plain and HAMT-sharded UnixFS directories.
 */
import { isAbortError } from '../../core/errors.js'
import { NotARepoDirectoryError } from './errors.js'
import { isMissing, parentOf } from './paths.js'
import type { AbortOptions } from '../../core/options.js'
import type { UnixFS } from '@helia/unixfs'
import type { CID } from 'multiformats/cid'

export class DirTree {
  /** Current CIDs of directories looked up or changed since the last flush ('' is the root). */
  readonly dirs = new Map<string, CID>()
  /** Directories whose current CID is not yet linked into their parent. */
  readonly dirty = new Set<string>()
  readonly #fs: UnixFS
  readonly #location: () => string
  #emptyDir: CID | undefined

  constructor (fs: UnixFS, location: () => string) {
    this.#fs = fs
    this.#location = location
  }

  async emptyDirCid (options: AbortOptions): Promise<CID> {
    if (this.#emptyDir === undefined) this.#emptyDir = await this.#fs.addDirectory({}, { cidVersion: 1, signal: options.signal })
    return this.#emptyDir
  }

  /** Looks up `name` in directory `dir` (plain or HAMT). */
  async lookup (dir: CID, name: string, options: AbortOptions): Promise<{ cid: CID, size: number, type: string } | undefined> {
    try {
      const st = await this.#fs.stat(dir, { path: name, signal: options.signal })
      return { cid: st.cid, size: Number(st.size), type: st.type }
    } catch (err) {
      if (isMissing(err)) return undefined
      throw this.wrap(err, `${name} in ${dir.toString()}`, options)
    }
  }

  wrap (err: unknown, what: string, options: AbortOptions): unknown {
    if (options.signal?.aborted === true || isAbortError(err)) return err
    if (err instanceof Error && (err.name === 'NotADirectoryError' || err.name === 'NotUnixFSError')) {
      return new NotARepoDirectoryError(`${what} in ${this.#location()} is not a UnixFS directory entry of a restic repository (${err.message}). Check the CID or IPNS name.`, { cause: err })
    }
    return err
  }

  /** The current CID of directory `path`, or undefined when absent (created empty when `create`). */
  async dir (path: string, create: boolean, options: AbortOptions): Promise<CID | undefined> {
    const known = this.dirs.get(path)
    if (known !== undefined) return known
    if (path === '') {
      if (!create) return undefined
      const cid = await this.emptyDirCid(options)
      this.dirs.set('', cid)
      this.dirty.add('')
      return cid
    }
    const { dir, name } = parentOf(path)
    const parent = await this.dir(dir, create, options)
    if (parent === undefined) return undefined
    const found = await this.lookup(parent, name, options)
    // A concurrent write may have set it meanwhile: that CID is newer than what we looked up.
    const raced = this.dirs.get(path)
    if (raced !== undefined) return raced
    if (found !== undefined) {
      if (found.type !== 'directory') throw new NotARepoDirectoryError(`${path} in ${this.#location()} is a file, not a directory, so this is not a restic repository. Check the CID or IPNS name.`)
      this.dirs.set(path, found.cid)
      return found.cid
    }
    if (!create) return undefined
    const cid = await this.emptyDirCid(options)
    this.dirs.set(path, cid)
    this.dirty.add(path)
    return cid
  }
}
