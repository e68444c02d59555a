/** An in-memory backend, for tests and for pages that keep a repository only for the session. */
import { NotFoundError, RepositoryExistsError } from '../errors.js'
import type { Backend, FileInfo, FileType, Handle } from './backend.js'
import { handlePath } from './backend.js'

export class MemoryBackend implements Backend {
  readonly location: string
  readonly files = new Map<string, Uint8Array>()

  constructor (location = 'memory:') { this.location = location }

  async create (): Promise<void> {
    if (this.files.has('config')) throw new RepositoryExistsError(`a repository already exists at ${this.location}`)
  }

  async list (type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    const out: FileInfo[] = []
    for (const [path, data] of this.files) {
      if (path.startsWith(type + '/')) out.push({ name: path.slice(path.lastIndexOf('/') + 1), size: data.length })
    }
    return out
  }

  #get (h: Handle): Uint8Array {
    const data = this.files.get(handlePath(h))
    if (data === undefined) throw new NotFoundError(`${handlePath(h)} not found in ${this.location}`)
    return data
  }

  async stat (h: Handle): Promise<FileInfo> {
    return { name: h.name, size: this.#get(h).length }
  }

  async read (h: Handle, range?: { offset: number, length?: number | undefined }): Promise<Uint8Array> {
    const data = this.#get(h)
    const off = range?.offset ?? 0
    const end = range?.length === undefined ? data.length : Math.min(data.length, off + range.length)
    return data.slice(off, end)
  }

  async write (h: Handle, data: Uint8Array): Promise<void> {
    this.files.set(handlePath(h), data.slice())
  }

  async remove (h: Handle): Promise<void> {
    this.files.delete(handlePath(h))
  }
}
