/**
 * Saves blobs: dedupes against the index, compresses and seals, spreads them over a few packers
 * per blob type picked at random (`PackerManager`, as restic 0.18), uploads packs at the target
 * size and writes index files that only name uploaded packs.
 *
 * Memory: per blob type, `packerCount` open packers below the target size (plus one blob each),
 * and one full pack being finished and uploaded in the background.
 */
import type { AbortOptions, OperationOptions } from '../../core/options.js'
import { emit } from '../../core/options.js'
import type { PackedBlob } from '../pack/header.js'
import { packSize } from '../pack/header.js'
import type { Packer } from '../pack/packer.js'
import type { BlobType } from '../repofile/index-file.js'
import { encodeIndexFile } from '../repofile/index-file.js'
import { sha256Hex } from '../util/bytes.js'
import { packToIndexJSON } from './master-index.js'
import type { SaveProgressEvents } from './events.js'
import type { Repository } from './repository.js'
import { DEFAULT_PACKER_COUNT, PackerManager } from './packer-manager.js'
import type { BlobPool } from './blob-pool.js'
import type { Compression } from './repository.js'

/** restic 0.14's default target pack size. */
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024
/** restic closes an index file at this many blobs (150 000 when compressed). */
const INDEX_MAX_BLOBS = { 1: 50_000, 2: 150_000 } as const

export interface BlobSaverInit {
  packSize?: number | undefined
  /** Open packers per blob type, each blob going to one picked at random (default 2, as restic 0.18). */
  packerCount?: number | undefined
  /** Store blobs even if the index has them (prune's repacking). */
  ignoreIndex?: boolean | undefined
  /** How blobs are compressed in a version 2 repository (default 'auto'). */
  compression?: Compression | undefined
  /**
   * Write nothing (`backup --dry-run`): blobs are encoded and counted as if stored, then dropped;
   * no pack, index or other file is written and the repository's index is left as it was.
   */
  dryRun?: boolean | undefined
}

export interface SaveResult {
  id: string
  /** False when the blob was already stored (deduplicated). */
  added: boolean
  /** Sealed size added to the repository (0 when deduplicated). */
  stored: number
}

export class BlobSaver {
  readonly #repo: Repository
  readonly #packSize: number
  readonly #ignoreIndex: boolean
  readonly #compression: Compression
  readonly dryRun: boolean
  /** `type/id` of every blob stored by this saver (in a packer or uploaded). */
  readonly #saved = new Set<string>()
  /** `type/id` of blobs being compressed and sealed (by `saveWith`), not yet in a packer. */
  readonly #pending = new Set<string>()
  /** Packer and upload work, one step at a time. */
  #tail: Promise<unknown> = Promise.resolve()
  readonly #packers: Record<BlobType, PackerManager>
  /** Packs uploaded but not yet listed in an index file written by us. */
  readonly #unindexed: Array<{ id: string, blobs: PackedBlob[] }> = []
  readonly indexFiles: string[] = []
  packsUploaded = 0
  /**
   * The full pack being finished and uploaded in the background (at most one), so blobs keep
   * flowing into the next packer meanwhile; a second full pack waits for it.
   */
  #uploading: Promise<void> | undefined
  /** The background upload's failure, thrown by every later step. */
  #failure: { err: unknown } | undefined

  constructor (repo: Repository, init: BlobSaverInit = {}) {
    this.#repo = repo
    this.#packSize = init.packSize ?? DEFAULT_PACK_SIZE
    this.#ignoreIndex = init.ignoreIndex === true
    this.#compression = init.compression ?? 'auto'
    this.dryRun = init.dryRun === true
    const count = init.packerCount ?? DEFAULT_PACKER_COUNT
    this.#packers = { data: new PackerManager('data', this.#packSize, count), tree: new PackerManager('tree', this.#packSize, count) }
  }

  has (type: BlobType, id: string): boolean {
    if (this.#ignoreIndex) return this.#saved.has(`${type}/${id}`)
    return this.#repo.index.has(type, id) || this.#saved.has(`${type}/${id}`)
  }

  /** Run packer and upload steps one at a time, in call order. */
  async #serial<T> (f: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(f)
    this.#tail = run.catch(() => {})
    return await run
  }

  async #pack (type: BlobType, id: string, sealed: Uint8Array, uncompressedLength: number | undefined, options: OperationOptions<SaveProgressEvents>): Promise<void> {
    await this.#serial(async () => {
      if (this.#failure !== undefined) throw this.#failure.err
      const full = this.#packers[type].add(id, sealed, uncompressedLength)
      this.#saved.add(`${type}/${id}`)
      if (full !== undefined) {
        await this.#uploaded()
        // The manager gave up the full packer (other packers receive the next blobs): finish and
        // upload it in the background.
        const up = this.#upload(full, options)
        this.#uploading = up.catch((err: unknown) => { this.#failure ??= { err } })
      }
    })
  }

  /** Wait until no upload runs in the background (whatever its outcome); before a lock is released after a failure. */
  async settle (): Promise<void> {
    await this.#uploading
  }

  /** Wait for the background upload; throws its failure. */
  async #uploaded (): Promise<void> {
    if (this.#uploading !== undefined) {
      await this.#uploading
      this.#uploading = undefined
    }
    if (this.#failure !== undefined) throw this.#failure.err
  }

  /**
   * Like `save`, with the hashing, compression and encryption done by `pool`; several calls may run
   * at once (the caller bounds how many). A blob that another pending call is storing counts as
   * stored. Resolves once the blob is in a packer (or uploaded).
   */
  async saveWith (pool: BlobPool, type: BlobType, plain: Uint8Array, options: OperationOptions<SaveProgressEvents> = {}): Promise<SaveResult> {
    let key: string | undefined
    const enc = await pool.encode(this.#repo.key, {
      plain,
      compress: this.#repo.version === 2 && this.#compression !== 'off',
      max: this.#compression === 'max',
      signal: options.signal,
      isNew: (id) => {
        const k = `${type}/${id}`
        if (this.has(type, id) || this.#pending.has(k)) return false
        this.#pending.add(k)
        key = k
        return true
      }
    }).catch((err: unknown) => {
      if (key !== undefined) this.#pending.delete(key)
      throw err
    })
    if (key === undefined || enc.sealed === undefined) return { id: enc.id, added: false, stored: 0 }
    try {
      await this.#pack(type, enc.id, enc.sealed, enc.uncompressedLength, options)
    } finally {
      this.#pending.delete(key)
    }
    return { id: enc.id, added: true, stored: enc.sealed.length }
  }

  /** Store a blob unless the repository has it already. */
  async save (type: BlobType, plain: Uint8Array, options: OperationOptions<SaveProgressEvents> = {}, knownId?: string): Promise<SaveResult> {
    const id = knownId ?? await sha256Hex(plain)
    if (this.has(type, id)) return { id, added: false, stored: 0 }
    const { sealed, uncompressedLength } = await this.#repo.encodeBlob(plain, this.#compression)
    if (this.has(type, id)) return { id, added: false, stored: 0 }
    await this.#pack(type, id, sealed, uncompressedLength, options)
    return { id, added: true, stored: sealed.length }
  }

  async #upload (packer: Packer, options: OperationOptions<SaveProgressEvents>): Promise<void> {
    if (packer.count === 0 || this.dryRun) return
    const pack = await packer.finish(this.#repo.key)
    await this.#repo.backend.write({ type: 'data', name: pack.id }, pack.bytes, options)
    // Only uploaded packs enter the index.
    this.#repo.index.addPack(pack.id, pack.blobs)
    this.#unindexed.push({ id: pack.id, blobs: pack.blobs })
    this.packsUploaded++
    emit(options, 'restic:pack:uploaded', { id: pack.id, size: pack.bytes.length, blobs: pack.blobs.length })
    let n = 0
    for (const p of this.#unindexed) n += p.blobs.length
    if (n >= INDEX_MAX_BLOBS[this.#repo.version]) await this.writeIndex(options)
  }

  /** Upload every open packer, merged where they fit in one pack (data first, then trees). */
  async #uploadOpen (options: OperationOptions<SaveProgressEvents>): Promise<void> {
    for (const type of ['data', 'tree'] as const) {
      for (const packer of this.#packers[type].drain()) await this.#upload(packer, options)
    }
  }

  /** Write an index file for the packs uploaded since the last one. */
  async writeIndex (options: OperationOptions<SaveProgressEvents> = {}): Promise<string | undefined> {
    if (this.#unindexed.length === 0 || this.dryRun) return undefined
    const packs = this.#unindexed.splice(0)
    const id = await this.#repo.saveUnpacked('index', encodeIndexFile({ packs: packs.map(p => packToIndexJSON(p.id, p.blobs)) }), options)
    this.#repo.index.files.set(id, packs.map(p => p.id))
    this.indexFiles.push(id)
    emit(options, 'restic:index:uploaded', { id, packs: packs.length })
    return id
  }

  /** Upload the open packs; returns every pack uploaded and not yet written to an index file, and forgets them. */
  async flushPacks (options: OperationOptions<SaveProgressEvents> = {}): Promise<Array<{ id: string, blobs: PackedBlob[] }>> {
    return await this.#serial(async () => {
      await this.#uploaded()
      await this.#uploadOpen(options)
      return this.#unindexed.splice(0)
    })
  }

  /** Upload the open packs (data first, then trees), then write the final index. */
  async flush (options: OperationOptions<SaveProgressEvents> = {}): Promise<void> {
    await this.#serial(async () => {
      await this.#uploaded()
      await this.#uploadOpen(options)
      await this.writeIndex(options)
    })
  }

  /**
   * Adopt packs left by an interrupted run (uploaded, never indexed): read their headers and add
   * their blobs, so a rerun reuses them instead of uploading again. Unreadable packs are left alone.
   */
  async adoptUnindexedPacks (options: AbortOptions = {}): Promise<number> {
    if (this.dryRun) return 0
    let adopted = 0
    for (const f of await this.#repo.backend.list('data', options)) {
      if (this.#repo.index.packs.has(f.name)) continue
      options.signal?.throwIfAborted()
      try {
        const blobs = await this.#repo.readPackHeader(f.name, f.size, options)
        if (packSize(blobs) !== f.size || blobs.length === 0) continue
        if (this.#repo.version === 1 && blobs.some(b => b.uncompressedLength !== undefined)) continue
        this.#repo.index.addPack(f.name, blobs)
        this.#unindexed.push({ id: f.name, blobs })
        adopted++
      } catch {
        // A damaged leftover is not ours to fix; prune or check will report it.
      }
    }
    return adopted
  }
}
