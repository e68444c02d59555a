/**
 * One restore from the open repository into one target: a folder (File System Access API), or a
 * streamed .zip or .tar download. Every restore of the page (a whole snapshot, a folder, several
 * picked entries) runs through here, so each has the same progress (bytes and files done of the
 * total, rate, ETA), the same cancel, and the same name safety: entries are named by their path
 * below the restore's start, and every segment passes the sinks' name rule (no "..", "/", "\",
 * NUL) before it becomes a folder entry or an archive entry. Refused names are left out and named
 * in the error raised after everything else was restored (or the archive saved).
 */
import { restoreMeter } from './restore-plan.js'
import { UnsafeNameError, isAbortError } from '../../core/errors.js'
import { saveStream } from '../../platform/save-file.js'
import { tarFromEntries } from '../../platform/restic-tar.js'
import type { RestoreTotals } from './restore-plan.js'
import type { Session } from './session.js'
import type { ProgressOptions } from './types.js'
import type { AbortOptions } from '../../core/options.js'
import type { Snapshot } from '../../restic/repofile/snapshot.js'
import type { RestoreSelector } from '../../restic/restorer/select.js'
import type * as Engine from '../backups-engine.js'

/** Where a restore goes: a folder the user picked, or a download. */
export type RestoreTarget =
  | { kind: 'folder', dir: FileSystemDirectoryHandle }
  | { kind: 'zip' }
  | { kind: 'tar' }

export interface RestoreOutcome {
  files: number
  bytes: number
  /** Entries the target cannot hold (symlinks, devices), with why. */
  skipped: string[]
}

export interface RestoreJob {
  snap: Snapshot
  /** Where in the snapshot the restorer starts ("/" for the root). */
  path: string
  select?: RestoreSelector | undefined
  totals: RestoreTotals
  /** The archive's top folder and file name (without extension); a name from the repository is checked. */
  archiveName: string
}

/** A RestoreIncompleteError whose every failure is a refused name: nothing of those was written. */
function onlyRefusedNames (err: unknown): boolean {
  const e = err as { name?: unknown, errors?: ReadonlyArray<{ code?: string }> } | null
  return e?.name === 'RestoreIncompleteError' && Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(x => x.code === UnsafeNameError.code)
}

/** Files and bytes below each of `paths` (segments), for the progress bar; undefined when a path cannot be resolved. */
export async function totalsOf (s: Session, e: typeof Engine, snap: Snapshot, paths: ReadonlyArray<readonly string[]>, options: AbortOptions): Promise<RestoreTotals> {
  let bytes = 0
  let files = 0
  try {
    for (const p of paths) {
      if (p.length === 0) {
        const t = await s.stats.totals(snap.tree, options)
        bytes += t.bytes; files += t.files
        continue
      }
      const n = await e.findNode(s.repo, snap.tree, [...p], options)
      if (n.type === 'dir' && typeof n.subtree === 'string') {
        const t = await s.stats.totals(n.subtree, options)
        bytes += t.bytes; files += t.files
      } else if (n.type === 'file') {
        bytes += n.size ?? 0; files++
      }
    }
  } catch (err) {
    if (isAbortError(err)) throw err
    return { bytes: undefined, files: undefined } // the restore itself reports what is wrong with the path
  }
  return { bytes, files }
}

export async function runRestore (s: Session, e: typeof Engine, job: RestoreJob, target: RestoreTarget, options: ProgressOptions = {}): Promise<RestoreOutcome> {
  const meter = restoreMeter(job.totals)
  options.onProgress?.({ label: 'Restoring', done: 0, total: job.totals.bytes, rate: 0, eta: undefined, files: { done: 0, total: job.totals.files } })
  const sink = target.kind === 'folder' ? new e.DirectorySink(target.dir) : new e.ZipSink(job.archiveName)
  // Stopped by the user's cancel, or by a download that failed (nothing reads the archive any more).
  const stop = new AbortController()
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
  const fileErrors: Array<{ path: string, message: string }> = []
  const pool = e.createResticPool({ signal })
  const restoring = e.restore(s.repo, job.snap, sink, {
    path: job.path,
    select: job.select,
    pool,
    signal,
    onProgress: (evt) => {
      if (evt.type === 'restic:restore:error') fileErrors.push(evt.detail)
      const p = meter.update(evt)
      if (p !== undefined) options.onProgress?.(p)
    }
  })
  try {
    if (target.kind === 'folder') await restoring
    else await download(e, sink as Engine.ZipSink, restoring, stop, fileErrors, `${job.archiveName}.${target.kind}`, target.kind, job.totals, signal)
  } finally {
    pool.close()
  }
  return { files: meter.files, bytes: meter.bytes, skipped: sink.skipped }
}

/** Stream the sink's entries out as a zip or tar while the restore fills it. */
async function download (e: typeof Engine, sink: Engine.ZipSink, restoring: Promise<unknown>, stop: AbortController, fileErrors: ReadonlyArray<{ path: string, message: string }>, name: string, kind: 'zip' | 'tar', totals: RestoreTotals, signal: AbortSignal): Promise<void> {
  // Refused names (nothing of them was written) still give a complete archive of everything
  // else; the error naming them is raised once it is saved. Other failures end the archive.
  let refused: unknown
  let failed: { error: unknown } | undefined
  const done = restoring.then(() => { sink.end() }, (err: unknown) => {
    if (onlyRefusedNames(err)) { sink.end(); refused = err; return }
    failed ??= { error: err }
    sink.end(err)
  })
  async function * pieces (): AsyncGenerator<Uint8Array> {
    if (kind === 'tar') { yield * tarFromEntries(sink.entries()); return }
    const reader = e.makeZip(sink.entries()).getReader()
    try {
      while (true) {
        const { done: finished, value } = await reader.read()
        if (finished) return
        yield value
      }
    } finally {
      reader.releaseLock()
    }
  }
  try {
    await saveStream(name, pieces(), { ...(totals.bytes !== undefined ? { size: totals.bytes } : {}), signal })
  } catch (err) {
    // The restore's own failure says more than the archive that it broke.
    const cause = failed?.error ?? (fileErrors.length > 0 && !isAbortError(err) ? new e.RestoreIncompleteError(`the restore failed at ${fileErrors.map(f => `${f.path}: ${f.message}`).join('; ')}`, fileErrors) : err)
    stop.abort(err)
    await done
    throw cause
  }
  await done
  if (failed !== undefined) throw failed.error
  if (refused !== undefined) throw refused
}
