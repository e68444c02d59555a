/**
 * Restore a snapshot (whole, a subtree, or one file) into a `RestoreSink`.
 * Files are streamed blob by blob. A damaged or missing pack fails only the files that need it:
 * the rest is restored, and `RestoreIncompleteError` lists what failed.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { UnsafeNameError, isAbortError } from '../../core/errors.js'
import { showName, unsafeNameReason } from '../../core/names.js'
import { hasRawBytes, rawNameSegment } from '../../core/raw-names.js'
import { RestoreIncompleteError } from '../errors.js'
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

export interface RestoreOptions extends OperationOptions<RestoreProgressEvents> {
  /** Restore only this path inside the snapshot (a directory's contents, or one file). */
  path?: string | undefined
  /**
   * Where blobs are decrypted, decompressed and verified (e.g. `createResticPool()`); default: the
   * calling thread. Up to 4× its size blobs of a file are read ahead.
   */
  pool?: BlobPool | undefined
}

export interface RestoreResult {
  files: number
  dirs: number
  bytes: number
  /** `code`: the error's code when it had one (e.g. `ERR_UNSAFE_NAME` for a refused name). */
  errors: Array<{ path: string, message: string, code?: string | undefined }>
}

export async function restore (repo: Repository, snapshot: Snapshot, sink: RestoreSink, options: RestoreOptions = {}): Promise<RestoreResult> {
  await repo.loadIndex(options)
  const result: RestoreResult = { files: 0, dirs: 0, bytes: 0, errors: [] }
  const links = new Map<string, string[]>()
  const sub = splitPath(options.path ?? '/')
  sub.forEach((name, i) => {
    const unsafe = unsafeNameReason(name)
    if (unsafe !== undefined) throw new UnsafeNameError('/' + sub.slice(0, i).map(showName).join('/'), showName(name), unsafe)
  })
  // Resolve everything that can fail before writing anything.
  if (sub.length === 0) {
    const tree = await loadTree(repo, snapshot.tree, options)
    await restoreNodes(repo, tree.nodes, [], sink, result, links, options)
  } else {
    const node = await findNode(repo, snapshot.tree, sub, options)
    if (node.type === 'dir' && node.subtree !== undefined) {
      const tree = await loadTree(repo, node.subtree, options)
      await restoreNodes(repo, tree.nodes, [], sink, result, links, options)
    } else {
      await restoreNodes(repo, [node], [], sink, result, links, options)
    }
  }
  if (result.errors.length > 0) {
    throw new RestoreIncompleteError(`restore finished with ${result.errors.length} error(s); ${result.files} file(s) were restored. Failed:\n` + result.errors.map(e => `  ${e.path}: ${e.message}`).join('\n'), result.errors)
  }
  return result
}

/** `links` maps device/inode of files with several links to the first restored path (restic's hardlink handling). */
async function restoreNodes (repo: Repository, nodes: Node[], prefix: string[], sink: RestoreSink, result: RestoreResult, links: Map<string, string[]>, options: RestoreOptions): Promise<void> {
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
    try {
      switch (node.type) {
        case 'dir': {
          const tree = node.subtree !== undefined ? await loadTree(repo, node.subtree, options) : { nodes: [] }
          await sink.mkdir(path, node, options)
          result.dirs++
          await restoreNodes(repo, tree.nodes, path, sink, result, links, options)
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
