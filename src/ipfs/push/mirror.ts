/**
 * Push a restic repository to another restic backend (a REST server, a folder, …): copy every
 * file the target lacks, one file in memory at a time.
 *
 * restic names every file but `config` by the SHA-256 of its content, so a file present on the
 * target under the same name and size is the same file and is skipped; a size mismatch means a
 * damaged copy and stops the push. `config` is compared byte for byte: a different one means the
 * target is another repository. Files go data → index → keys → snapshots, and on a first push
 * `config` last, so an interrupted push never leaves a snapshot whose data is missing, nor a
 * half-copied target that restic would take for a repository. Locks are not copied.
 */
import { AbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { NotFoundError, RepositoryExistsError, RepositoryNotFoundError } from '../../restic/errors.js'
import { MirrorConflictError } from './errors.js'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { Backend, FileInfo, FileType, Handle } from '../../restic/backend/backend.js'

export type MirrorEvents =
  /** What is missing on the target and will be copied; `skipped` files are there already. */
  | ProgressEvent<'push:mirror:plan', { files: number, bytes: number, skipped: number }>
  /** One more file copied; `files`/`bytes` count what is done so far, out of the plan's totals. */
  | ProgressEvent<'push:mirror:file', { type: FileType, name: string, size: number, files: number, bytes: number, totalFiles: number, totalBytes: number }>

export interface MirrorResult {
  /** Files copied, and their bytes. */
  files: number
  bytes: number
  /** Files already on the target. */
  skipped: number
}

const ORDER: ReadonlyArray<Exclude<FileType, 'config' | 'locks'>> = ['data', 'index', 'keys', 'snapshots']

const CONFIG: Handle = { type: 'config', name: '' }

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i])
}

async function readConfig (backend: Backend, options: AbortOptions): Promise<Uint8Array | undefined> {
  try {
    return await backend.read(CONFIG, undefined, options)
  } catch (err) {
    if (err instanceof NotFoundError) return undefined
    throw err
  }
}

/**
 * Copies to `to` every file of the repository in `from` that `to` lacks. Running it again copies
 * nothing. Cancelling stops between (or during) files; what was copied stays and is skipped next
 * time.
 */
export async function mirrorRepository (from: Backend, to: Backend, options: OperationOptions<MirrorEvents> = {}): Promise<MirrorResult> {
  const { signal } = options
  const check = (): void => {
    if (signal?.aborted === true) throw new AbortError(`Pushing the repository to ${to.location} was cancelled. Push again to copy the rest; files already copied are skipped.`, { cause: signal.reason })
  }
  check()
  const config = await readConfig(from, { signal })
  if (config === undefined) throw new RepositoryNotFoundError(`There is no restic repository at ${from.location} (no config file), so there is nothing to push.`)
  const targetConfig = await readConfig(to, { signal })
  if (targetConfig !== undefined && !sameBytes(config, targetConfig)) {
    throw new MirrorConflictError(`${to.location} holds a different restic repository (its config differs from ${from.location}'s). Push to an empty location, or to a copy of this repository.`)
  }
  if (targetConfig === undefined) {
    try {
      await to.create({ signal })
    } catch (err) {
      if (!(err instanceof RepositoryExistsError)) throw err
    }
  }

  const plan: Array<{ type: Exclude<FileType, 'config'>, file: FileInfo }> = []
  let skipped = targetConfig !== undefined ? 1 : 0
  for (const type of ORDER) {
    check()
    const [source, target] = await Promise.all([from.list(type, { signal }), to.list(type, { signal })])
    const there = new Map(target.map(f => [f.name, f.size]))
    for (const file of source) {
      const size = there.get(file.name)
      if (size === undefined) plan.push({ type, file })
      else if (size === file.size) skipped++
      else {
        throw new MirrorConflictError(`${type}/${file.name} is ${size} bytes on ${to.location} but ${file.size} bytes here: the copy there is damaged. Remove that file from the target (or run restic check on it), then push again.`)
      }
    }
  }
  const totalFiles = plan.length + (targetConfig === undefined ? 1 : 0)
  const totalBytes = plan.reduce((n, p) => n + p.file.size, 0) + (targetConfig === undefined ? config.byteLength : 0)
  emit(options, 'push:mirror:plan', { files: totalFiles, bytes: totalBytes, skipped })

  const done = { files: 0, bytes: 0 }
  const copied = (type: FileType, name: string, size: number): void => {
    done.files++
    done.bytes += size
    emit(options, 'push:mirror:file', { type, name, size, files: done.files, bytes: done.bytes, totalFiles, totalBytes })
  }
  for (const { type, file } of plan) {
    check()
    const handle: Handle = { type, name: file.name }
    const bytes = await from.read(handle, undefined, { signal })
    if (bytes.byteLength !== file.size) {
      throw new MirrorConflictError(`${type}/${file.name} was listed as ${file.size} bytes in ${from.location} but ${bytes.byteLength} bytes were read. The source changed or is damaged; run restic check on it.`)
    }
    check()
    await to.write(handle, bytes, { signal })
    copied(type, file.name, bytes.byteLength)
  }
  if (targetConfig === undefined) {
    check()
    await to.write(CONFIG, config, { signal })
    copied('config', '', config.byteLength)
  }
  return { files: done.files, bytes: done.bytes, skipped }
}
