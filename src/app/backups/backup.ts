/**
 * Backing up picked files and folders into the open repository. Each uploaded pack is followed by
 * a checkpoint: the new root is pinned and the name republished, so a tab closed mid-way leaves a
 * repository that restic checks and a next backup that reuses those packs.
 */
import { createMeter } from '../progress.js'
import { BackupStorageFullError, NothingToBackUpError } from './errors.js'
import { DEFAULT_HOST } from './session.js'
import { InvalidInputError } from '../../core/errors.js'
import type { BackupsContext } from './session.js'
import type { BackupsService } from './types.js'
import type { StoredSummary } from '../../platform/backup-store.js'

/** Least time between checkpoints (pin the new root and republish) during a backup; the first comes with the first pack. */
const CHECKPOINT_MIN_MS = 3_000

function isQuotaError (err: unknown): boolean {
  for (let e = err as { name?: string, message?: string, cause?: unknown } | undefined, i = 0; e !== undefined && e !== null && i < 5; e = e.cause as typeof e, i++) {
    if (e.name === 'QuotaExceededError' || (e.message ?? '').includes('QuotaExceeded')) return true
  }
  return false
}

export function backupActions (ctx: BackupsContext): Pick<BackupsService, 'backup'> {
  const { live, engine, db, writing, commit, saveRecord, refreshSnapshots } = ctx
  return {
    async backup (entries, options) {
      const s = live()
      const e = await engine()
      const source = new e.PickedSource(entries)
      if (source.paths.length === 0) throw new NothingToBackUpError()
      const host = options.host.trim() === '' ? DEFAULT_HOST : options.host.trim()
      const tags = options.tags.map(t => t.trim()).filter(t => t !== '')
      if (tags.some(t => t.includes(','))) throw new InvalidInputError('A tag cannot contain a comma (restic separates tags with commas).')
      const started = performance.now()
      return await writing(s, options.signal, async () => {
        const meter = createMeter('Backing up')
        let bytes = 0
        let files = 0
        let checkpoints = 0
        const report = (): void => {
          const label = checkpoints > 0 ? `Backing up (progress saved ${checkpoints}×: a closed tab resumes from there)` : 'Backing up'
          options.onProgress?.({ ...meter.update(bytes, source.totalBytes), label, files: { done: files, total: source.totalFiles } })
        }
        let lastCheckpoint = Number.NEGATIVE_INFINITY
        let checkpoint: Promise<unknown> | undefined
        let summary: Awaited<ReturnType<typeof e.backup>>
        // Hashing, compression and encryption run in Web Workers, one per core.
        const pool = e.createResticPool({ signal: options.signal })
        try {
          summary = await e.backup(s.repo, source, {
            pool,
            hostname: host,
            tags,
            signal: options.signal,
            onProgress: (evt) => {
              if (evt.type === 'restic:backup:blob') { bytes += evt.detail.bytes; report() }
              if (evt.type === 'restic:backup:file') { files++; if (!evt.detail.changed) bytes += evt.detail.size; report() }
              if (evt.type === 'restic:pack:uploaded' && checkpoint === undefined && performance.now() - lastCheckpoint > CHECKPOINT_MIN_MS) {
                // Make what is uploaded durable: pinned, and reachable under the name.
                checkpoint = commit(s).then(() => { checkpoints++; report() }, (err: unknown) => { console.warn('Backup checkpoint failed:', err) }).finally(() => { checkpoint = undefined; lastCheckpoint = performance.now() })
              }
            }
          })
        } catch (err) {
          await checkpoint
          // Keep the packs that made it: the next backup adopts them instead of uploading again.
          await commit(s).catch(() => {})
          if (isQuotaError(err)) throw new BackupStorageFullError(`The backup stopped: the browser's storage for this site is full. What was uploaded so far is kept, and the next backup resumes from it. Free space (garbage collection on the Files page, or forget and prune old snapshots), ask for persistent storage (Storage page), or back up less at a time.`, { cause: err })
          throw err
        } finally {
          pool.close()
        }
        await checkpoint
        options.onProgress?.({ label: 'Publishing the new root…', done: bytes, total: source.totalBytes, rate: 0, eta: undefined, files: { done: files, total: source.totalFiles } })
        const { published, error } = await commit(s, {})
        const stored: StoredSummary = {
          snapshotId: summary.snapshotId,
          repoId: s.record.id,
          filesNew: summary.filesNew,
          filesChanged: summary.filesChanged,
          filesUnmodified: summary.filesUnmodified,
          dirs: summary.dirs,
          bytesProcessed: summary.bytesProcessed,
          bytesAdded: summary.bytesAdded,
          durationMs: performance.now() - started
        }
        await (await db()).putSummary(stored)
        s.record = { ...s.record, lastUsedAt: Date.now() }
        await saveRecord(s.record)
        await refreshSnapshots()
        return {
          snapshotId: summary.snapshotId,
          root: s.backend.root?.toString(),
          filesNew: summary.filesNew,
          filesChanged: summary.filesChanged,
          filesUnmodified: summary.filesUnmodified,
          bytesProcessed: summary.bytesProcessed,
          bytesAdded: summary.bytesAdded,
          packsAdopted: summary.packsAdopted,
          errors: summary.errors,
          published,
          publishError: error
        }
      })
    }
  }
}
