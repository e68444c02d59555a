/**
 * `repair index` (restic 0.16; `rebuild-index` in 0.14): rebuild the index from the packs. Index
 * files that do not load are dropped; packs the index lacks (or lists with another size) have their
 * headers read; packs the index names that are gone are left out. New index files replace all old
 * ones (written first, then the old ones removed), under an exclusive lock.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { isAbortError } from '../../core/errors.js'
import type { PackedBlob } from '../pack/header.js'
import { packSize } from '../pack/header.js'
import { encodeIndexFile, parseIndexFile } from '../repofile/index-file.js'
import { lockRepository } from '../repository/lock.js'
import { packToIndexJSON } from '../repository/master-index.js'
import type { Repository } from '../repository/repository.js'

export type RepairIndexProgressEvents =
  | ProgressEvent<'restic:repair:index-invalid', { id: string, message: string }>
  | ProgressEvent<'restic:repair:pack-added', { id: string, reason: 'unindexed' | 'size' }>
  | ProgressEvent<'restic:repair:pack-missing', { id: string }>
  | ProgressEvent<'restic:repair:pack-invalid', { id: string, message: string }>
  | ProgressEvent<'restic:repair:index-written', { id: string, packs: number }>

export interface RepairIndexOptions extends OperationOptions<RepairIndexProgressEvents> {
  /** Ignore the old index files and read every pack's header (restic's `--read-all-packs`). */
  readAllPacks?: boolean | undefined
}

export interface RepairIndexResult {
  packsRead: number
  packsMissing: number
  packsInvalid: string[]
  indexesRemoved: number
  indexesWritten: number
}

/** Blobs per index file, as restic (50 000; compressed index files hold more, this is enough). */
const MAX_BLOBS = 50_000

export async function repairIndex (repo: Repository, options: RepairIndexOptions = {}): Promise<RepairIndexResult> {
  const lock = await lockRepository(repo, { exclusive: true }, options)
  try {
    repo.dropIndex()
    const oldFiles = await repo.backend.list('index', options)
    const packs = new Map<string, readonly PackedBlob[]>()
    if (options.readAllPacks !== true) {
      for (const f of oldFiles) {
        try {
          const idx = parseIndexFile(await repo.loadJSON('index', f.name, options))
          repo.index.addFile(f.name, idx)
        } catch (err) {
          if (isAbortError(err)) throw err
          emit(options, 'restic:repair:index-invalid', { id: f.name, message: (err as Error).message })
        }
      }
      for (const [id, blobs] of repo.index.packs) packs.set(id, blobs)
    }
    const result: RepairIndexResult = { packsRead: 0, packsMissing: 0, packsInvalid: [], indexesRemoved: 0, indexesWritten: 0 }
    const present = new Set<string>()
    for (const f of await repo.backend.list('data', options)) {
      options.signal?.throwIfAborted()
      present.add(f.name)
      const known = packs.get(f.name)
      if (known !== undefined && packSize(known) === f.size) continue
      emit(options, 'restic:repair:pack-added', { id: f.name, reason: known === undefined ? 'unindexed' : 'size' })
      packs.delete(f.name)
      try {
        packs.set(f.name, await repo.readPackHeader(f.name, f.size, options))
        result.packsRead++
      } catch (err) {
        if (isAbortError(err)) throw err
        result.packsInvalid.push(f.name)
        emit(options, 'restic:repair:pack-invalid', { id: f.name, message: (err as Error).message })
      }
    }
    for (const id of [...packs.keys()]) {
      if (present.has(id)) continue
      packs.delete(id)
      result.packsMissing++
      emit(options, 'restic:repair:pack-missing', { id })
    }
    // Write the new index in files of at most MAX_BLOBS blobs, then remove every old file.
    let batch: Array<[string, readonly PackedBlob[]]> = []
    let blobs = 0
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return
      const id = await repo.saveUnpacked('index', encodeIndexFile({ packs: batch.map(([p, b]) => packToIndexJSON(p, b)) }), options)
      result.indexesWritten++
      emit(options, 'restic:repair:index-written', { id, packs: batch.length })
      batch = []
      blobs = 0
    }
    for (const entry of packs) {
      if (blobs + entry[1].length > MAX_BLOBS) await flush()
      batch.push(entry)
      blobs += entry[1].length
    }
    await flush()
    await lock.check(options)
    for (const f of oldFiles) {
      await repo.backend.remove({ type: 'index', name: f.name }, options)
      result.indexesRemoved++
    }
    return result
  } finally {
    repo.dropIndex()
    await lock.release()
  }
}
