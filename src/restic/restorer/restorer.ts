/**
 * Restore a snapshot (whole, a subtree, or one file) into a `RestoreSink`.
 * Files are streamed blob by blob. A damaged or missing pack fails only the files that need it:
 * the rest is restored, and `RestoreIncompleteError` lists what failed.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { InvalidInputError, UnsafeNameError, isAbortError } from '../../core/errors.js'
import { showName, unsafeNameReason } from '../../core/names.js'
import { hasRawBytes, rawNameSegment } from '../../core/raw-names.js'
import { RestoreIncompleteError } from '../errors.js'
import { RestoreVerifyError } from '../option-errors.js'
import { parseTime } from '../util/go-json.js'
import type { RestoreSelector } from './select.js'
import { contentMismatch } from './verify.js'
import type { IndexProgressEvents } from '../repository/events.js'
import type { Node } from '../repofile/tree.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Repository } from '../repository/repository.js'
import { findNode, loadTree, splitPath } from '../ops/tree-walk.js'
import type { RestoreSink } from './sink.js'
import type { BlobPool } from '../repository/blob-pool.js'
import { inFlightLimit } from '../repository/blob-pool.js'
import type { BlobLocation } from '../repository/master-index.js'

export type RestoreProgressEvents =
  | IndexProgressEvents
  | ProgressEvent<'restic:restore:file', { path: string, size: number }>
  | ProgressEvent<'restic:restore:bytes', { path: string, bytes: number }>
  | ProgressEvent<'restic:restore:error', { path: string, message: string }>
  | ProgressEvent<'restic:restore:skipped', { path: string, size: number, reason: 'exists' | 'unchanged' }>
  | ProgressEvent<'restic:restore:verified', { path: string, ok: boolean, message?: string | undefined }>

/** restic 0.17's `--overwrite`: what to do with an entry that exists in the target already. */
export type OverwriteMode = 'always' | 'if-changed' | 'if-newer' | 'never'

export interface RestoreOptions extends OperationOptions<RestoreProgressEvents> {
  /** Restore only this path inside the snapshot (a directory's contents, or one file). */
  path?: string | undefined
  /**
   * Where blobs are decrypted, decompressed and verified (e.g. `createResticPool()`); default: the
   * calling thread. Up to 4× its size blobs of a file are read ahead.
   */
  pool?: BlobPool | undefined
  /** Which entries to restore (see `patternSelector` for restic's include/exclude flags); default all. */
  select?: RestoreSelector | undefined
  /**
   * An existing entry is: 'always' replaced (default); 'if-changed' left when size and mtime match,
   * else compared blob by blob and replaced when it differs; 'if-newer' replaced only by a newer
   * entry; 'never' left. A file already holding the right content only gets its metadata.
   */
  overwrite?: OverwriteMode | undefined
  /** Read every written file back and compare it with its blobs' hashes (`RestoreVerifyError`). */
  verify?: boolean | undefined
}

export interface RestoreResult {
  files: number
  dirs: number
  bytes: number
  /** Entries left as they were (`overwrite`), and files that only got their metadata. */
  skipped: number
  /** Files read back by `verify`. */
  verified: number
  /** `code`: the error's code when it had one (e.g. `ERR_UNSAFE_NAME` for a refused name). */
  errors: Array<{ path: string, message: string, code?: string | undefined }>
}

export async function restore (repo: Repository, snapshot: Snapshot, sink: RestoreSink, options: RestoreOptions = {}): Promise<RestoreResult> {
  await repo.loadIndex(options)
  const result: RestoreResult = { files: 0, dirs: 0, bytes: 0, skipped: 0, verified: 0, errors: [] }
  const links = new Map<string, string[]>()
  const sub = splitPath(options.path ?? '/')
  const written: Written[] = []
  const run: Run = { repo, sink, result, links, options, written }
  sub.forEach((name, i) => {
    const unsafe = unsafeNameReason(name)
    if (unsafe !== undefined) throw new UnsafeNameError('/' + sub.slice(0, i).map(showName).join('/'), showName(name), unsafe)
  })
  // Resolve everything that can fail before writing anything.
  const top = { path: [], location: '', ensure: async () => {} }
  if (sub.length === 0) {
    const tree = await loadTree(repo, snapshot.tree, options)
    await restoreNodes(run, tree.nodes, top)
  } else {
    const node = await findNode(repo, snapshot.tree, sub, options)
    if (node.type === 'dir' && node.subtree !== undefined) {
      const tree = await loadTree(repo, node.subtree, options)
      await restoreNodes(run, tree.nodes, { ...top, location: '/' + sub.join('/') })
    } else {
      await restoreNodes(run, [node], { ...top, location: '/' + sub.slice(0, -1).join('/') })
    }
  }
  if (options.verify === true) {
    const failed = await verifyWritten(run)
    if (failed.length > 0) throw new RestoreVerifyError(failed.map(f => `${f.path} (${f.message})`))
  }
  if (result.errors.length > 0) {
    throw new RestoreIncompleteError(`restore finished with ${result.errors.length} error(s); ${result.files} file(s) were restored. Failed:\n` + result.errors.map(e => `  ${e.path}: ${e.message}`).join('\n'), result.errors)
  }
  return result
}

/** A file written by this restore, read back by `verify`. */
interface Written { path: string[], shown: string, node: Node }

interface Run {
  repo: Repository
  sink: RestoreSink
  result: RestoreResult
  /** Device/inode of files with several links → the first restored path (restic's hardlink handling). */
  links: Map<string, string[]>
  options: RestoreOptions
  written: Written[]
}

/**
 * Where nodes go: `path` in the sink, `location` in the snapshot ("" for its root); `ensure`
 * creates the directories above that were not selected themselves, once something below is.
 */
interface Place { path: string[], location: string, ensure: () => Promise<void> }

function once (f: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined
  return async () => { p ??= f(); await p }
}

/** Whether an existing entry at `path` stays as it is (`overwrite`): 'skip', or 'write'. */
async function existingDecision (run: Run, path: string[], node: Node): Promise<'skip' | 'write'> {
  const mode = run.options.overwrite ?? 'always'
  if (mode === 'always' || mode === 'if-changed' || run.sink.stat === undefined) return 'write'
  const st = await run.sink.stat(path, run.options)
  if (st === undefined) return 'write'
  if (mode === 'never') return 'skip'
  return parseTime(node.mtime) > st.mtimeNs ? 'write' : 'skip'
}

/** Whether the file at `path` holds the node's content already (only its metadata is then set). */
async function alreadyRestored (run: Run, path: string[], node: Node): Promise<boolean> {
  const { sink, options } = run
  if ((options.overwrite ?? 'always') === 'always' || sink.stat === undefined || sink.read === undefined) return false
  const st = await sink.stat(path, options)
  if (st?.type !== 'file' || st.size !== (node.size ?? 0)) return false
  if (options.overwrite === 'if-changed' && st.mtimeNs === parseTime(node.mtime)) return true
  try { return await contentMismatch(run.repo, node, sink.read(path, options), options) === undefined } catch (err) {
    if (isAbortError(err)) throw err
    return false
  }
}

async function verifyWritten (run: Run): Promise<Array<{ path: string, message: string }>> {
  const { sink, options } = run
  if (sink.read === undefined) throw new InvalidInputError('this restore target cannot be read back, so --verify cannot check it.')
  const failed: Array<{ path: string, message: string }> = []
  for (const w of run.written) {
    options.signal?.throwIfAborted()
    let message: string | undefined
    try { message = await contentMismatch(run.repo, w.node, sink.read(w.path, options), options) } catch (err) {
      if (isAbortError(err)) throw err
      message = (err as Error).message
    }
    if (message === undefined) run.result.verified++
    else failed.push({ path: w.shown, message })
    emit(options, 'restic:restore:verified', { path: w.shown, ok: message === undefined, message })
  }
  return failed
}

async function restoreNodes (run: Run, nodes: Node[], place: Place): Promise<void> {
  const { repo, sink, result, links, options } = run
  const prefix = place.path
  for (const node of nodes) {
    options.signal?.throwIfAborted()
    // A name that is not UTF-8 travels as escaped bytes, so a file-system sink restores the
    // original bytes (as restic does) and two such names never collide.
    const path = [...prefix, node.nameBytes !== undefined ? rawNameSegment(node.nameBytes) : node.name]
    const shown = '/' + path.map(s => hasRawBytes(s) ? showName(s) : s).join('/')
    // restic's rule: a node name is one path segment, never "", ".", "..", or one with a
    // separator (or NUL). Such a node is reported and skipped, with its subtree; the rest is restored.
    const unsafe = unsafeNameReason(node.name)
    if (unsafe !== undefined) {
      const err = new UnsafeNameError('/' + prefix.map(showName).join('/'), showName(node.name), unsafe)
      result.errors.push({ path: err.path, message: err.message, code: err.code })
      emit(options, 'restic:restore:error', { path: err.path, message: err.message })
      continue
    }
    const location = `${place.location}/${node.name}`
    const { selected, descend } = options.select?.(location, node) ?? { selected: true, descend: true }
    if (!selected && !descend) continue
    try {
      if (node.type !== 'dir') {
        if (!selected) continue
        if (await existingDecision(run, path, node) === 'skip') {
          result.skipped++
          emit(options, 'restic:restore:skipped', { path: shown, size: node.size ?? 0, reason: 'exists' })
          continue
        }
        await place.ensure()
      }
      switch (node.type) {
        case 'dir': {
          const tree = node.subtree !== undefined ? await loadTree(repo, node.subtree, options) : { nodes: [] }
          if (!selected) {
            // As restic: made only when something below is restored, and then given its metadata.
            let made = false
            const ensure = once(async () => { await place.ensure(); await sink.mkdir(path, node, options); made = true })
            await restoreNodes(run, tree.nodes, { path, location, ensure })
            if (made) {
              result.dirs++
              await sink.setMetadata(path, node, options)
            }
            break
          }
          await place.ensure()
          await sink.mkdir(path, node, options)
          result.dirs++
          if (descend) await restoreNodes(run, tree.nodes, { path, location, ensure: async () => {} })
          await sink.setMetadata(path, node, options)
          break
        }
        case 'file': {
          const size = node.size ?? 0
          const linkKey = (node.links ?? 0) > 1 && node.inode !== undefined && sink.hardlink !== undefined ? `${node.device_id ?? 0}/${node.inode}` : undefined
          const first = linkKey === undefined ? undefined : links.get(linkKey)
          if (first !== undefined && sink.hardlink !== undefined) {
            await sink.hardlink(path, first, node, options)
            result.files++
            emit(options, 'restic:restore:file', { path: shown, size })
            break
          }
          if (linkKey !== undefined) links.set(linkKey, path)
          if (await alreadyRestored(run, path, node)) {
            await sink.setMetadata(path, node, options)
            result.skipped++
            emit(options, 'restic:restore:skipped', { path: shown, size, reason: 'unchanged' })
            break
          }
          if (options.verify === true) run.written.push({ path, shown, node })
          await sink.writeFile(path, node, fileContent(repo, node, shown, result, options), options)
          await sink.setMetadata(path, node, options)
          result.files++
          emit(options, 'restic:restore:file', { path: shown, size })
          break
        }
        case 'symlink':
          await sink.symlink(path, node, options)
          await sink.setMetadata(path, node, options)
          break
        default:
          if (sink.special !== undefined) {
            await sink.special(path, node, options)
            await sink.setMetadata(path, node, options)
          }
      }
    } catch (err) {
      if (isAbortError(err)) throw err
      const message = (err as Error).message
      const code = (err as { code?: unknown }).code
      // A sink's refusal names the entry itself (quoted when it would read as something else).
      const at = err instanceof UnsafeNameError ? err.path : shown
      result.errors.push({ path: at, message, code: typeof code === 'string' ? code : undefined })
      emit(options, 'restic:restore:error', { path: at, message })
    }
  }
}

/** At most this many bytes in one read of blobs that lie back to back in a pack. */
const RUN_BYTES = 8 * 1024 * 1024

/**
 * Start loading `locs` (blobs of one window of a file): blobs of one pack that lie back to back,
 * in whatever order the file needs them (a parallel backup packs them in the order they finish),
 * are read with one backend request. Returns a promise per `packId/offset`.
 */
function loadWindow (repo: Repository, locs: BlobLocation[], options: RestoreOptions): Map<string, Promise<Uint8Array>> {
  const out = new Map<string, Promise<Uint8Array>>()
  const byPack = new Map<string, BlobLocation[]>()
  const seen = new Set<string>()
  for (const b of locs) {
    if (seen.has(`${b.packId}/${b.offset}`)) continue
    seen.add(`${b.packId}/${b.offset}`)
    const g = byPack.get(b.packId)
    if (g === undefined) byPack.set(b.packId, [b])
    else g.push(b)
  }
  for (const g of byPack.values()) {
    g.sort((x, y) => x.offset - y.offset)
    let run: BlobLocation[] = []
    let bytes = 0
    const flush = (): void => {
      const ps = repo.loadBlobRun(run, options)
      run.forEach((b, i) => { out.set(`${b.packId}/${b.offset}`, ps[i] as Promise<Uint8Array>) })
      run = []
      bytes = 0
    }
    for (const b of g) {
      const prev = run[run.length - 1]
      if (prev !== undefined && (b.offset !== prev.offset + prev.length || bytes + b.length > RUN_BYTES)) flush()
      run.push(b)
      bytes += b.length
    }
    flush()
  }
  return out
}

async function * fileContent (repo: Repository, node: Node, shown: string, result: RestoreResult, options: RestoreOptions): AsyncGenerator<Uint8Array> {
  if ((node.size ?? 0) === 0) return
  const ids = node.content ?? []
  // Read and decode ahead, in order; at most `ahead` blobs held at once, refilled once half the
  // window is free, so that the blobs of a window that lie back to back in a pack are one read.
  const ahead = options.pool !== undefined ? inFlightLimit(options.pool) : 2
  const queue: Array<Promise<Uint8Array>> = []
  let next = 0
  const fill = (): void => {
    if (queue.length > ahead / 2) return
    const take: Array<{ id: string, loc: BlobLocation | undefined }> = []
    while (queue.length + take.length < ahead && next < ids.length) {
      const id = ids[next++] as string
      take.push({ id, loc: repo.index.get('data', id) })
    }
    const loaded = loadWindow(repo, take.flatMap(t => t.loc !== undefined ? [t.loc] : []), options)
    const used = new Set<string>()
    for (const t of take) {
      let p: Promise<Uint8Array>
      if (t.loc === undefined) {
        p = repo.loadBlob('data', t.id, options) // fails with BlobNotFoundError
      } else {
        const k = `${t.loc.packId}/${t.loc.offset}`
        p = loaded.get(k) as Promise<Uint8Array>
        // The same blob twice in one window: the second gets a copy of its own.
        if (used.has(k)) p = p.then(b => b.slice())
        used.add(k)
      }
      p.catch(() => {}) // awaited in order below; a failure surfaces there
      queue.push(p)
    }
  }
  while (queue.length > 0 || next < ids.length) {
    fill()
    const data = await (queue.shift() as Promise<Uint8Array>)
    fill()
    result.bytes += data.length
    emit(options, 'restic:restore:bytes', { path: shown, bytes: data.length })
    yield data
  }
}
