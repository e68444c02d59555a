/**
 * Reads many small files with few Blob reads.
 *
 * Every Blob read in Chromium is a round trip to the browser process: streaming 10,000 files of
 * 4 KiB one by one costs about 0.5 ms each before a byte is hashed. Here consecutive small files
 * are read as groups (one `new Blob([...files]).arrayBuffer()` per group of at most `maxFiles`
 * files and `maxBytes` bytes), the next group is read while the current one is imported, and each
 * file's content is its own slice. A group's buffer is dropped once all its files were taken, so
 * at most a few groups are held at once.
 */

export interface SmallFileLimits {
  /** Files up to this size are grouped; larger ones are streamed. */
  maxFileBytes: number
  maxFiles: number
  maxBytes: number
}

export const SMALL_FILE_LIMITS: SmallFileLimits = { maxFileBytes: 64 * 1024, maxFiles: 256, maxBytes: 4 * 1024 * 1024 }

interface Group { files: File[], left: number, read?: Promise<ArrayBuffer> | undefined }

export class SmallFileGroups {
  readonly #where = new Map<File, { group: number, offset: number }>()
  readonly #groups: Group[] = []

  constructor (files: Iterable<File>, limits: SmallFileLimits = SMALL_FILE_LIMITS) {
    let current: Group | undefined
    let bytes = 0
    for (const file of files) {
      if (file.size > limits.maxFileBytes) continue
      const seen = this.#where.get(file)
      // The same File twice: read once, taken twice.
      if (seen !== undefined) { this.#groups[seen.group]!.left++; continue }
      if (current === undefined || current.files.length >= limits.maxFiles || bytes + file.size > limits.maxBytes) {
        current = { files: [], left: 0 }
        this.#groups.push(current)
        bytes = 0
      }
      this.#where.set(file, { group: this.#groups.length - 1, offset: bytes })
      current.files.push(file)
      current.left++
      bytes += file.size
    }
  }

  /** Whether `file` is read as part of a group. */
  has (file: File): boolean {
    return this.#where.has(file)
  }

  /** The content of a grouped file: one slice of its group's buffer (the group read once). */
  async * content (file: File): AsyncGenerator<Uint8Array> {
    const at = this.#where.get(file)
    if (at === undefined) throw new Error('not a grouped file')
    const group = this.#groups[at.group]!
    const buffer = await this.#read(at.group)
    // Read ahead: the next group loads while this one is imported.
    if (at.group + 1 < this.#groups.length) void this.#read(at.group + 1).catch(() => {})
    if (--group.left === 0) group.read = undefined
    if (file.size > 0) yield new Uint8Array(buffer, at.offset, file.size)
  }

  async #read (index: number): Promise<ArrayBuffer> {
    const group = this.#groups[index]!
    if (group.left === 0) throw new Error('group already read')
    group.read ??= new Blob(group.files).arrayBuffer()
    return group.read
  }
}
