/**
 * A restic repository opened with a password: backend + master key + config, plus the merged index
 * once `loadIndex()` ran. Reads verify everything (MAC, storage hash, blob hash) and errors name
 * the damaged file.
 */
import type { AbortOptions, OperationOptions } from '../../core/options.js'
import { emit } from '../../core/options.js'
import type { Backend, FileType, Handle } from '../backend/backend.js'
import { handlePath } from '../backend/backend.js'
import { Key, MacMismatch, OVERHEAD } from '../crypto/key.js'
import type { ScryptParams } from '../crypto/kdf.js'
import { DamagedFileError, MissingFileError, NotFoundError, RepositoryExistsError, RepositoryNotFoundError, UnsupportedRepositoryError, WrongPasswordError, BlobNotFoundError } from '../errors.js'
import { parseHeader, MAX_HEADER_SIZE } from '../pack/header.js'
import type { PackedBlob } from '../pack/header.js'
import { encodeConfig, parseConfig } from '../repofile/config.js'
import type { ConfigFile } from '../repofile/config.js'
import type { BlobType } from '../repofile/index-file.js'
import { parseIndexFile } from '../repofile/index-file.js'
import { createKeyFile, keyFileProblem, openKeyFile } from '../repofile/key-file.js'
import type { KeyFile } from '../repofile/key-file.js'
import { fromUtf8, randomBytes, readU32, sha256Hex, toHex, utf8, concat } from '../util/bytes.js'
import { MAX_LEVEL, compress, decompress } from '../util/zstd.js'
import { formatPolynomial, isIrreducible, parsePolynomial, randomPolynomial } from '../chunker/polynomial.js'
import { MasterIndex } from './master-index.js'
import type { BlobLocation } from './master-index.js'
import type { BlobPool, DecodedBlob } from './blob-pool.js'
import type { LockHolder } from '../repofile/lock.js'
import { decodeBlobWith } from './blob-pool.js'
import type { IndexProgressEvents, OpenProgressEvents } from './events.js'

/**
 * Locks of a repository opened without a `lockHolder`: a host name no machine running restic has,
 * and a nonzero pid, so restic judges them by their age only (and refreshing keeps them young).
 */
const DEFAULT_LOCK_HOLDER: LockHolder = { owner: { hostname: 'cairn', username: '', pid: 1 + Math.floor(Math.random() * 0x7ffffffe) } }

/** restic gives up after trying this many key files. */
const MAX_KEYS = 20

/** restic's `--compression`: 'auto' (zstd's default level), 'max' (its strongest) or 'off' (blobs stored as they are; v2 only). */
export type Compression = 'auto' | 'max' | 'off'

export interface OpenOptions extends OperationOptions<OpenProgressEvents> {
  password: string
  /** The identity written into this repository's locks (default: host "cairn", a random pid). */
  lockHolder?: LockHolder | undefined
  /** Try this key file first. */
  keyHint?: string | undefined
}

export interface InitOptions extends OpenOptions {
  /** Repository version; restic 0.14's default is 2. */
  version?: 1 | 2 | undefined
  /** scrypt parameters for the first key (default: restic's). */
  scrypt?: ScryptParams | undefined
  /** Chunker polynomial (hex); default: a new random irreducible one. */
  chunkerPolynomial?: string | undefined
  hostname?: string | undefined
  username?: string | undefined
}

export class Repository {
  readonly backend: Backend
  readonly key: Key
  readonly config: ConfigFile
  readonly keyId: string
  readonly lockHolder: LockHolder
  #index = new MasterIndex()
  #indexLoaded = false

  private constructor (backend: Backend, key: Key, config: ConfigFile, keyId: string, lockHolder: LockHolder | undefined) {
    this.backend = backend
    this.key = key
    this.config = config
    this.keyId = keyId
    this.lockHolder = lockHolder ?? DEFAULT_LOCK_HOLDER
  }

  get version (): 1 | 2 { return this.config.version }
  get polynomial (): bigint { return parsePolynomial(this.config.chunker_polynomial) }
  /** The merged index. Replaced (not mutated) when `dropIndex()` runs: do not keep a reference across operations. */
  get index (): MasterIndex { return this.#index }
  get indexLoaded (): boolean { return this.#indexLoaded }
  /**
   * Forget the in-memory index, after an operation rewrote index files and deleted packs (prune):
   * the next `loadIndex()` reads the index files as they are now.
   */
  dropIndex (): void {
    this.#index = new MasterIndex()
    this.#indexLoaded = false
  }
  /** For loaders that read index files themselves (check): mark the index complete. */
  markIndexLoaded (): void { this.#indexLoaded = true }

  describe (h: Handle): string { return `${handlePath(h)} in ${this.backend.location}` }

  /** Open with a password: tries key files (at most 20), then decrypts and checks the config. */
  static async open (backend: Backend, options: OpenOptions): Promise<Repository> {
    // config and the key list at once (each is a round trip on a remote backend).
    const listing = backend.list('keys', options)
    listing.catch(() => {}) // awaited below, unless config fails first
    let configBytes: Uint8Array
    try {
      configBytes = await backend.read({ type: 'config', name: '' }, undefined, options)
    } catch (err) {
      if (err instanceof NotFoundError) throw new RepositoryNotFoundError(`there is no restic repository at ${backend.location} (no config file). Check the path, or create one with \`cairn restic init\`.`, { cause: err })
      throw err
    }
    const keys = (await listing).map(k => k.name).sort()
    if (options.keyHint !== undefined && keys.includes(options.keyHint)) keys.unshift(...keys.splice(keys.indexOf(options.keyHint), 1))
    let master: Key | undefined
    let keyId = ''
    const damaged: string[] = []
    for (const name of keys.slice(0, MAX_KEYS)) {
      options.signal?.throwIfAborted()
      const h: Handle = { type: 'keys', name }
      let kf: KeyFile
      try {
        const bytes = await backend.read(h, undefined, options)
        kf = JSON.parse(fromUtf8(bytes)) as KeyFile
      } catch (err) {
        if (!(err instanceof NotFoundError) && !(err instanceof SyntaxError)) throw err
        if (err instanceof SyntaxError) damaged.push(name) // another key may still open the repository
        continue
      }
      if (keyFileProblem(kf) !== undefined) { damaged.push(name); continue }
      emit(options, 'restic:open:key', { keyId: name })
      try {
        master = await openKeyFile(kf, options.password)
        keyId = name
        break
      } catch (err) {
        if (!(err instanceof MacMismatch)) damaged.push(name)
        continue
      }
    }
    if (master === undefined) {
      let extra = keys.length > MAX_KEYS ? ` (only the first ${MAX_KEYS} key files were tried)` : ''
      if (damaged.length > 0) extra += `; unusable (damaged) key files: ${damaged.map(d => `keys/${d}`).join(', ')}`
      throw new WrongPasswordError(`wrong password for repository ${backend.location}: no key in keys/ opens with it${extra}. Check the password, or use --password-file.`)
    }
    let config: ConfigFile
    try {
      config = parseConfig(JSON.parse(fromUtf8(await master.open(configBytes))))
    } catch (err) {
      if (err instanceof UnsupportedRepositoryError) throw err
      throw new DamagedFileError(`config in ${backend.location}`, err instanceof MacMismatch ? 'authentication failed (MAC mismatch)' : 'it does not decode as a restic config', { cause: err })
    }
    if (!isIrreducible(parsePolynomial(config.chunker_polynomial))) throw new UnsupportedRepositoryError(`the chunker polynomial ${config.chunker_polynomial} of ${backend.location} is not irreducible; restic refuses such a repository.`)
    emit(options, 'restic:open:done', { version: config.version, keyId })
    return new Repository(backend, master, config, keyId, options.lockHolder)
  }

  /** Create a new repository (version 2 by default) with one key for `password`. */
  static async init (backend: Backend, options: InitOptions): Promise<Repository> {
    try {
      await backend.stat({ type: 'config', name: '' }, options)
      throw new RepositoryExistsError(`a repository already exists at ${backend.location}. Use another location, or open it instead.`)
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
    }
    await backend.create(options)
    const master = Key.random()
    const pol = options.chunkerPolynomial !== undefined ? parsePolynomial(options.chunkerPolynomial) : randomPolynomial()
    if (!isIrreducible(pol)) throw new RangeError(`chunker polynomial ${formatPolynomial(pol)} is not irreducible`)
    const config: ConfigFile = { version: options.version ?? 2, id: toHex(randomBytes(32)), chunker_polynomial: formatPolynomial(pol) }
    const keyBytes = await createKeyFile(master, options.password, { scrypt: options.scrypt, hostname: options.hostname, username: options.username })
    const keyId = await sha256Hex(keyBytes)
    await backend.write({ type: 'keys', name: keyId }, keyBytes, options)
    await backend.write({ type: 'config', name: '' }, await master.seal(utf8(encodeConfig(config))), options)
    return new Repository(backend, master, config, keyId, options.lockHolder)
  }

  /** Add a key file for another password; returns its ID. */
  async addKey (password: string, options: { scrypt?: ScryptParams, hostname?: string, username?: string } & AbortOptions = {}): Promise<string> {
    const bytes = await createKeyFile(this.key, password, options)
    const id = await sha256Hex(bytes)
    await this.backend.write({ type: 'keys', name: id }, bytes, options)
    return id
  }

  // ---- unpacked files (index, snapshots, locks) ----

  /** Load, verify (hash, MAC) and decode an unpacked file; returns the JSON text's bytes. */
  async loadUnpacked (type: Exclude<FileType, 'config' | 'keys' | 'data'>, id: string, options?: AbortOptions): Promise<Uint8Array> {
    const h: Handle = { type, name: id }
    let bytes: Uint8Array
    try {
      bytes = await this.backend.read(h, undefined, options)
    } catch (err) {
      if (err instanceof NotFoundError) throw new MissingFileError(this.describe(h), 'it is listed but cannot be read', { cause: err })
      throw err
    }
    if (await sha256Hex(bytes) !== id) throw new DamagedFileError(this.describe(h), 'its content does not match its name (SHA-256 mismatch)')
    let plain: Uint8Array
    try {
      plain = await this.key.open(bytes)
    } catch (err) {
      throw new DamagedFileError(this.describe(h), 'authentication failed (MAC mismatch)', { cause: err })
    }
    if (this.version === 1 || plain.length === 0) return plain
    const first = plain[0]
    if (first === 0x7b || first === 0x5b) return plain
    if (first !== 2) throw new DamagedFileError(this.describe(h), `unsupported encoding version ${String(first)}`)
    try {
      return await decompress(plain.subarray(1))
    } catch (err) {
      throw new DamagedFileError(this.describe(h), 'zstd decompression failed', { cause: err })
    }
  }

  async loadJSON (type: Exclude<FileType, 'config' | 'keys' | 'data'>, id: string, options?: AbortOptions): Promise<unknown> {
    const bytes = await this.loadUnpacked(type, id, options)
    try {
      return JSON.parse(fromUtf8(bytes))
    } catch (err) {
      throw new DamagedFileError(this.describe({ type, name: id }), 'its content is not valid JSON', { cause: err })
    }
  }

  /** Encode (v2: 0x02 + zstd), seal and store; returns the storage ID. */
  async saveUnpacked (type: Exclude<FileType, 'config' | 'keys' | 'data'>, json: string, options?: AbortOptions): Promise<string> {
    let plain = utf8(json)
    if (this.version === 2) plain = concat([new Uint8Array([2]), await compress(plain)])
    const sealed = await this.key.seal(plain)
    const id = await sha256Hex(sealed)
    await this.backend.write({ type, name: id }, sealed, options)
    return id
  }

  // ---- index ----

  /** Load every index file. A damaged index file fails the load, naming the file. */
  async loadIndex (options: OperationOptions<IndexProgressEvents> = {}): Promise<void> {
    if (this.#indexLoaded) return
    const files = await this.backend.list('index', options)
    for (const f of files.sort((a, b) => a.name.localeCompare(b.name))) {
      options.signal?.throwIfAborted()
      const json = await this.loadJSON('index', f.name, options)
      let idx
      try { idx = parseIndexFile(json) } catch (err) {
        throw new DamagedFileError(this.describe({ type: 'index', name: f.name }), `it is not a valid index (${(err as Error).message})`, { cause: err })
      }
      if (this.version === 1 && idx.packs.some(p => p.blobs.some(b => b.uncompressed_length !== undefined))) {
        throw new DamagedFileError(this.describe({ type: 'index', name: f.name }), 'it lists compressed blobs, which a version 1 repository cannot contain')
      }
      this.index.addFile(f.name, idx)
      emit(options, 'restic:index:loaded', { id: f.name, packs: idx.packs.length })
    }
    this.#indexLoaded = true
  }

  // ---- blobs ----

  /** Decrypt, decompress and verify one blob read from a pack (on `options.pool` if given). */
  async decodeBlob (packId: string, b: PackedBlob, sealed: Uint8Array, options: AbortOptions & { pool?: BlobPool | undefined } = {}): Promise<Uint8Array> {
    const where = this.describe({ type: 'data', name: packId })
    if (sealed.length !== b.length) throw new DamagedFileError(where, `the pack is truncated: blob ${b.id.slice(0, 8)} at offset ${b.offset} needs ${b.length} bytes, only ${sealed.length} could be read`)
    const req = { sealed, uncompressedLength: b.uncompressedLength, id: b.id, signal: options.signal }
    const r: DecodedBlob = options.pool !== undefined ? await options.pool.decode(this.key, req) : await decodeBlobWith(this.key, req)
    if ('plain' in r) return r.plain
    switch (r.problem) {
      case 'mac': throw new DamagedFileError(where, `${b.type} blob ${b.id.slice(0, 8)} at offset ${b.offset} failed authentication (MAC mismatch)`)
      case 'decompress': throw new DamagedFileError(where, `${b.type} blob ${b.id.slice(0, 8)} does not decompress (${r.message})`)
      default: throw new DamagedFileError(where, `${b.type} blob ${b.id.slice(0, 8)} does not match its ID`)
    }
  }

  /** Load a blob via the index. */
  async loadBlob (type: BlobType, id: string, options?: AbortOptions & { pool?: BlobPool | undefined }): Promise<Uint8Array> {
    if (!this.#indexLoaded) await this.loadIndex(options)
    const loc = this.index.get(type, id)
    if (loc === undefined) throw new BlobNotFoundError(`${type} blob ${id} is not in any index of ${this.backend.location}. The repository is incomplete; run \`cairn restic check\`.`)
    let sealed: Uint8Array
    const h: Handle = { type: 'data', name: loc.packId }
    try {
      sealed = await this.backend.read(h, { offset: loc.offset, length: loc.length }, options)
    } catch (err) {
      if (err instanceof NotFoundError) throw new MissingFileError(this.describe(h), `the index lists ${type} blob ${id.slice(0, 8)} in it`, { cause: err })
      throw err
    }
    return await this.decodeBlob(loc.packId, loc, sealed, options)
  }

  /**
   * Load blobs stored back to back in one pack (as `planRuns` groups them) with one backend read;
   * one promise per blob, in order. Fewer, larger reads matter for backends with a cost per request.
   */
  loadBlobRun (run: readonly BlobLocation[], options?: AbortOptions & { pool?: BlobPool | undefined }): Array<Promise<Uint8Array>> {
    const first = run[0]
    const last = run[run.length - 1]
    if (first === undefined || last === undefined) return []
    const h: Handle = { type: 'data', name: first.packId }
    const bytes = this.backend.read(h, { offset: first.offset, length: last.offset + last.length - first.offset }, options).catch((err: unknown) => {
      if (err instanceof NotFoundError) throw new MissingFileError(this.describe(h), `the index lists ${first.type} blob ${first.id.slice(0, 8)} in it`, { cause: err })
      throw err
    })
    return run.map(async b => {
      const all = await bytes
      // A copy of its own, so a pool can take it over (and the run's buffer is freed once all are taken).
      const sealed = all.slice(b.offset - first.offset, b.offset - first.offset + b.length)
      return await this.decodeBlob(b.packId, b, sealed, options)
    })
  }

  /** Read and decrypt a pack's header (no index needed). */
  async readPackHeader (packId: string, size: number, options?: AbortOptions): Promise<PackedBlob[]> {
    const h: Handle = { type: 'data', name: packId }
    const where = this.describe(h)
    if (size < 4 + OVERHEAD) throw new DamagedFileError(where, `the pack is too short (${size} bytes) to hold a header`)
    const tail = await this.backend.read(h, { offset: size - 4, length: 4 }, options)
    if (tail.length !== 4) throw new DamagedFileError(where, 'the pack is truncated')
    const hlen = readU32(tail, 0)
    if (hlen < OVERHEAD || hlen > size - 4 || hlen > MAX_HEADER_SIZE) throw new DamagedFileError(where, `invalid header length ${hlen} (pack size ${size}); the pack is truncated or damaged`)
    const sealed = await this.backend.read(h, { offset: size - 4 - hlen, length: hlen }, options)
    let plain: Uint8Array
    try { plain = await this.key.open(sealed) } catch (err) {
      throw new DamagedFileError(where, 'the pack header failed authentication (MAC mismatch); the pack is truncated or damaged', { cause: err })
    }
    try { return parseHeader(plain) } catch (err) {
      throw new DamagedFileError(where, `the pack header does not parse (${(err as Error).message})`, { cause: err })
    }
  }

  /**
   * Compress (v2, unless `compression` is 'off') and seal a blob; returns the sealed bytes and the
   * uncompressed length if compressed.
   */
  async encodeBlob (plain: Uint8Array, compression: Compression = 'auto'): Promise<{ sealed: Uint8Array, uncompressedLength: number | undefined }> {
    if (this.version === 2 && plain.length > 0 && compression !== 'off') {
      return { sealed: await this.key.seal(await compress(plain, compression === 'max' ? MAX_LEVEL : undefined)), uncompressedLength: plain.length }
    }
    return { sealed: await this.key.seal(plain), uncompressedLength: undefined }
  }
}
