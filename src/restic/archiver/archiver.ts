/**
 * `backup`: walk a source, chunk files with the repository's polynomial, dedupe blobs against the
 * index, write packs, trees, the index and finally the snapshot, all under a non-exclusive lock.
 * Order: lock → packs → index → snapshot → unlock. An interruption leaves only unreferenced packs
 * (or indexed but unused blobs), which `check` accepts; the next run adopts such packs.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { Chunker } from '../chunker/chunker.js'
import type { Node } from '../repofile/tree.js'
import { encodeTree, goFileMode, sortNodes } from '../repofile/tree.js'
import type { Snapshot, SnapshotFile } from '../repofile/snapshot.js'
import type { Compression, Repository } from '../repository/repository.js'
import { BlobSaver } from '../repository/blob-saver.js'
import type { SaveResult } from '../repository/blob-saver.js'
import { InFlight, InThreadBlobPool, inFlightLimit } from '../repository/blob-pool.js'
import type { BlobPool } from '../repository/blob-pool.js'
import type { IndexProgressEvents, SaveProgressEvents } from '../repository/events.js'
import { lockRepository } from '../repository/lock.js'
import { listSnapshots, saveSnapshot } from '../ops/snapshots.js'
import { loadTree } from '../ops/tree-walk.js'
import { formatTime, parseTime } from '../util/go-json.js'
import { isAbortError } from '../../core/errors.js'
import { toBase64, utf8 } from '../util/bytes.js'
import type { BackupSource, SourceEntry } from './source.js'

export type BackupProgressEvents =
  | SaveProgressEvents
  | IndexProgressEvents
  | ProgressEvent<'restic:backup:file', { path: string, size: number, changed: boolean }>
  | ProgressEvent<'restic:backup:blob', { bytes: number, added: boolean }>
  | ProgressEvent<'restic:backup:snapshot', { id: string }>
  | ProgressEvent<'restic:backup:error', { path: string, message: string }>

export interface BackupOptions extends OperationOptions<BackupProgressEvents> {
  hostname?: string | undefined
  username?: string | undefined
  tags?: string[] | undefined
  /** Snapshot time (default: now). */
  time?: Date | undefined
  /** Parent snapshot for change detection: an explicit one, or `undefined` to pick the latest with the same host and paths, or `false` for none. */
  parent?: Snapshot | false | undefined
  /** Target pack size in bytes (default 16 MiB). */
  packSize?: number | undefined
  /** Open packers per blob type, each blob going to one picked at random (default 2, as restic 0.18). */
  packerCount?: number | undefined
  uid?: number | undefined
  gid?: number | undefined
  /**
   * Where blobs are hashed, compressed and sealed: e.g. `createResticPool()` from
   * `src/workers/restic-pool.ts` (Web Workers). Default: the calling thread. The backup keeps
   * reading and chunking while up to 4× the pool's size blobs are in flight. The caller owns the
   * pool (and closes it).
   */
  pool?: BlobPool | undefined
  /** How data and tree blobs are compressed (version 2 repositories): 'auto' (default), 'max' or 'off'. */
  compression?: Compression | undefined
  /**
   * Write nothing (`--dry-run`): no lock, pack, index or snapshot; the summary says what would be
   * added (and has no `snapshotId`).
   */
  dryRun?: boolean | undefined
  /** restic 0.17's `--skip-if-unchanged`: no snapshot when the tree equals the parent snapshot's. */
  skipIfUnchanged?: boolean | undefined
}

export interface BackupSummary {
  /** The new snapshot's ID; '' when none was saved (see `saved`). */
  snapshotId: string
  /** False for a dry run, and for `skipIfUnchanged` when nothing changed: no snapshot was saved. */
  saved: boolean
  dryRun: boolean
  tree: string
  parent: string | undefined
  filesNew: number
  filesChanged: number
  filesUnmodified: number
  dirs: number
  dataBlobs: number
  treeBlobs: number
  bytesProcessed: number
  bytesAdded: number
  packsAdopted: number
  /** Entries that could not be read and were left out of the snapshot (restic warns and exits 3). */
  errors: Array<{ path: string, message: string }>
}

export async function backup (repo: Repository, source: BackupSource, options: BackupOptions = {}): Promise<BackupSummary> {
  await repo.loadIndex(options)
  const dryRun = options.dryRun === true
  // A dry run writes nothing, not even a lock (as restic 0.14).
  const lock = dryRun ? undefined : await lockRepository(repo, { exclusive: false }, options)
  try {
    const saver = new BlobSaver(repo, { packSize: options.packSize, packerCount: options.packerCount, compression: options.compression, dryRun })
    const packsAdopted = await saver.adoptUnindexedPacks(options)
    const paths = [...source.paths]
    let parent: Snapshot | undefined
    if (options.parent === undefined) {
      const same = (await listSnapshots(repo, { hosts: [options.hostname ?? ''] }, options))
        .filter(s => [...s.paths].sort().join('\0') === [...paths].sort().join('\0'))
      parent = same[same.length - 1]
    } else if (options.parent !== false) parent = options.parent
    const a = new Archiver(repo, source, saver, options)
    let tree: string
    try {
      tree = await (await a.saveDir([], [], parent?.tree)).id
    } catch (err) {
      // Nothing may write to the repository once the lock is released.
      await a.settle()
      await saver.settle()
      throw err
    }
    options.signal?.throwIfAborted()
    await saver.flush(options)
    const result = { ...a.stats, tree, parent: parent?.id, packsAdopted, errors: a.errors, dryRun }
    if (dryRun || (options.skipIfUnchanged === true && parent !== undefined && parent.tree === tree)) return { ...result, snapshotId: '', saved: false }
    // A lock removed meanwhile (`restic unlock` taking it for stale) let a prune delete packs
    // this snapshot needs: fail rather than save a snapshot that may be broken.
    await lock?.check(options)
    const snap: SnapshotFile = {
      time: formatTime(BigInt((options.time ?? new Date()).getTime()) * 1_000_000n),
      parent: parent?.id,
      tree,
      paths,
      hostname: options.hostname,
      username: options.username,
      uid: options.uid,
      gid: options.gid,
      tags: options.tags
    }
    const snapshotId = await saveSnapshot(repo, snap, options)
    emit(options, 'restic:backup:snapshot', { id: snapshotId })
    return { ...result, snapshotId, saved: true }
  } finally {
    await lock?.release()
  }
}

/** A failure reading the source (not the repository): the entry is skipped, the backup goes on. */
class SourceReadError extends Error {
  constructor (cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause })
    this.name = 'SourceReadError'
  }
}

async function readSource<T> (f: () => Promise<T>): Promise<T> {
  try { return await f() } catch (err) {
    if (isAbortError(err)) throw err
    throw new SourceReadError(err)
  }
}

/** Tags errors of the source stream, leaving errors of the consumer (the repository) untouched. */
async function * guardStream (it: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    for await (const piece of it) yield piece
  } catch (err) {
    if (isAbortError(err)) throw err
    throw new SourceReadError(err)
  }
}

class Archiver {
  readonly errors: Array<{ path: string, message: string }> = []
  readonly stats = { filesNew: 0, filesChanged: 0, filesUnmodified: 0, dirs: 0, dataBlobs: 0, treeBlobs: 0, bytesProcessed: 0, bytesAdded: 0 }
  readonly #repo: Repository
  readonly #source: BackupSource
  readonly #saver: BlobSaver
  readonly #options: BackupOptions
  readonly #chunker: Chunker
  readonly #pool: BlobPool
  /** Data blobs and trees being saved; bounds memory. */
  readonly #inFlight: InFlight
  /** Every pending tree and file completion, so `settle` can wait for them after a failure. */
  readonly #pending = new Set<Promise<unknown>>()

  constructor (repo: Repository, source: BackupSource, saver: BlobSaver, options: BackupOptions) {
    this.#repo = repo
    this.#source = source
    this.#saver = saver
    this.#options = options
    this.#chunker = new Chunker(repo.polynomial)
    this.#pool = options.pool ?? new InThreadBlobPool()
    this.#inFlight = new InFlight(inFlightLimit(this.#pool))
  }

  /** Track a completion so a failure is noticed (and awaited) even if nothing awaits it yet. */
  #track<T> (p: Promise<T>): Promise<T> {
    this.#pending.add(p)
    p.then(() => this.#pending.delete(p), () => this.#pending.delete(p))
    return p
  }

  /** Wait until nothing is in flight (after a failure). */
  async settle (): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    await this.#inFlight.settle()
  }

  /**
   * Save a directory recursively. Returns once every entry was read and chunked; `id` resolves to
   * the tree blob ID once its blobs and subtrees are stored.
   */
  async saveDir (path: string[], shownPath: string[], parentTree: string | undefined): Promise<{ id: Promise<string> }> {
    const opts = this.#options
    opts.signal?.throwIfAborted()
    const entries = await readSource(async () => await this.#source.list(path, opts))
    let parentNodes = new Map<string, Node>()
    if (parentTree !== undefined) {
      try {
        parentNodes = new Map((await loadTree(this.#repo, parentTree, opts)).nodes.map(n => [n.name, n]))
      } catch {
        // An unreadable parent tree only costs change detection.
      }
    }
    const nodes: Node[] = []
    const waits: Array<Promise<unknown>> = []
    for (const e of sortEntries(entries)) {
      this.#inFlight.check()
      opts.signal?.throwIfAborted()
      const node = this.#baseNode(e)
      const previous = parentNodes.get(e.name)
      const key = e.key ?? e.name
      try {
        if (e.type === 'dir') {
          const sub = await this.saveDir([...path, key], [...shownPath, e.name], previous?.type === 'dir' ? previous.subtree : undefined)
          waits.push(sub.id.then(id => { node.subtree = id; this.stats.dirs++ }))
        } else if (e.type === 'file') {
          waits.push((await this.#saveFile([...path, key], '/' + [...shownPath, e.name].join('/'), e, node, previous)).done)
        }
      } catch (err) {
        // Like restic: an unreadable entry is reported and left out; the backup goes on.
        if (!(err instanceof SourceReadError) || path.length === 0) throw err
        const shown = '/' + [...shownPath, e.name].join('/')
        const message = (err as Error).message
        this.errors.push({ path: shown, message })
        emit(opts, 'restic:backup:error', { path: shown, message })
        continue
      }
      nodes.push(node)
    }
    const id = this.#track((async () => {
      await Promise.all(waits)
      opts.signal?.throwIfAborted()
      const res = await this.#saver.save('tree', encodeTree(nodes), opts)
      if (res.added) this.stats.treeBlobs++
      return res.id
    })())
    id.catch(() => {})
    return { id }
  }

  #baseNode (e: SourceEntry): Node {
    const mtime = formatTime(e.mtimeNs)
    const node: Node = {
      name: e.name,
      nameBytes: e.nameBytes,
      type: e.type,
      mode: goFileMode(e.type, e.mode),
      mtime,
      atime: mtime, // restic stores atime = mtime unless --with-atime
      ctime: formatTime(e.ctimeNs ?? e.mtimeNs),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      user: e.user,
      group: e.group,
      inode: e.inode,
      device_id: e.deviceId,
      content: null
    }
    if (e.type !== 'dir') node.links = e.links ?? 1
    if (e.type === 'symlink') node.linktarget = e.linktarget
    if (e.type === 'dev' || e.type === 'chardev') node.device = e.device
    if (e.xattrs !== undefined && e.xattrs.length > 0) node.extended_attributes = e.xattrs.map(a => ({ name: a.name, value: toBase64(a.value) }))
    return node
  }

  /**
   * Read and chunk a file, handing its blobs to the pool. Returns once the file was read; the
   * returned promise resolves once all its blobs are stored and `node` is complete.
   */
  async #saveFile (path: string[], shown: string, e: SourceEntry, node: Node, previous: Node | undefined): Promise<{ done: Promise<void> }> {
    const opts = this.#options
    if (previous !== undefined && unchanged(previous, node, e) && (previous.content ?? []).every(id => this.#saver.has('data', id))) {
      node.content = previous.content ?? []
      node.size = previous.size ?? 0
      this.stats.filesUnmodified++
      emit(opts, 'restic:backup:file', { path: shown, size: node.size, changed: false })
      return { done: Promise.resolve() }
    }
    const blobs: Array<Promise<SaveResult>> = []
    let size = 0
    for await (const chunk of this.#chunker.chunks(guardStream(this.#source.open(path, opts)))) {
      opts.signal?.throwIfAborted()
      await this.#inFlight.room()
      size += chunk.length
      const bytes = chunk.length
      blobs.push(this.#inFlight.add(this.#saver.saveWith(this.#pool, 'data', chunk, opts).then(res => {
        if (res.added) { this.stats.dataBlobs++; this.stats.bytesAdded += res.stored }
        emit(opts, 'restic:backup:blob', { bytes, added: res.added })
        return res
      })))
    }
    const done = this.#track(Promise.all(blobs).then(results => {
      node.content = results.map(r => r.id)
      node.size = size
      this.stats.bytesProcessed += size
      if (previous === undefined) this.stats.filesNew++
      else this.stats.filesChanged++
      emit(opts, 'restic:backup:file', { path: shown, size, changed: true })
    }))
    done.catch(() => {})
    return { done }
  }
}

/** restic 0.14's change detection: type, mtime, ctime, size and inode. */
function unchanged (previous: Node, node: Node, e: SourceEntry): boolean {
  if (previous.type !== 'file') return false
  try {
    if (parseTime(previous.mtime) !== parseTime(node.mtime) || parseTime(previous.ctime) !== parseTime(node.ctime)) return false
  } catch { return false }
  if ((previous.size ?? 0) !== (e.size ?? -1)) return false
  return (previous.inode ?? 0) === (e.inode ?? 0)
}

/** In tree order (name bytes). Entries are kept apart by index: two names that are not valid UTF-8 may read the same. */
function sortEntries (entries: SourceEntry[]): SourceEntry[] {
  const keyed = entries.map((e, i) => ({ name: String(i), nameBytes: e.nameBytes ?? utf8(e.name), e }))
  const sorted = sortNodes(keyed.map(k => ({ name: k.name, nameBytes: k.nameBytes } as Node)))
  return sorted.map(n => (keyed[Number(n.name)] as { e: SourceEntry }).e)
}
