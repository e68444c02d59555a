/**
 * Backups: restic repositories stored on IPFS, each under its own IPNS name.
 *
 * - create / open (by IPNS name or root CID, with the password; "remember on this device" keeps the
 *   password encrypted under a non-extractable device key);
 * - backup of picked files and folders (host, tags), with progress and cancel. Each uploaded pack
 *   is followed by a checkpoint: the new root is pinned and the name republished, so a tab closed
 *   mid-way leaves a repository that restic checks and a next backup that reuses those packs;
 * - snapshots with size and change statistics, browsing, file download, restore as a streamed zip
 *   or into a folder (File System Access API);
 * - forget with keep policies, prune, and removing stale locks;
 * - push the current root to keepers (the shared keepers service) or copy it to a restic REST server.
 * Writes to one repository are serialised across tabs with a Web Lock, and every write holds the
 * shared 'blocks' lock so a garbage collection in another tab never runs in the middle.
 */
import { createStore } from './store.js'
import { createMeter } from './progress.js'
import { backupPushTargets, pushBackup } from './backup-push.js'
import { NodeNotReadyError } from './errors.js'
import { CairnError, InvalidInputError, UnsafeNameError, isAbortError } from '../core/errors.js'
import { openBackupStore } from '../platform/backup-store.js'
import { withWebLock } from '../platform/locks.js'
import { saveStream } from '../platform/save-file.js'
import type { Store } from './store.js'
import type { TransferProgress } from './progress.js'
import type { NodeService } from './node-service.js'
import type { NamesService } from './names-service.js'
import type { KeepersService } from './keepers-service.js'
import type { PushStatus, PushTarget } from './backup-push.js'
import type { TreeTotals, ChangeStats, TreeStats } from './backup-stats.js'
import type { BackupStore, RepoRecord, StoredSummary } from '../platform/backup-store.js'
import type { PickedEntry } from '../platform/file-sources.js'
import type { AbortOptions } from '../core/options.js'
import type { NetworkSettings } from '../core/settings.js'
import type { CairnNode } from '../ipfs/node.js'
import type { IpfsBackend } from '../ipfs/restic-backend/index.js'
import type { Repository } from '../restic/repository/repository.js'
import type { Snapshot } from '../restic/repofile/snapshot.js'
import type { ForgetPolicy } from '../restic/ops/forget.js'
import type { PruneResult } from '../restic/ops/prune.js'
import type * as Engine from './backups-engine.js'

export type { TreeTotals, ChangeStats } from './backup-stats.js'
export type { PushStatus, PushTarget } from './backup-push.js'
export type { ForgetPolicy } from '../restic/ops/forget.js'
export type { PruneResult } from '../restic/ops/prune.js'
export { passwordStrength } from './password-strength.js'
export type { PasswordStrength } from './password-strength.js'

export class NoRepositoryOpenError extends CairnError {
  static override readonly code = 'ERR_NO_REPOSITORY_OPEN'
  constructor () { super('No repository is open. Create one, or open one by its IPNS name or root CID and its password.') }
}

export class BackupPasswordError extends CairnError {
  static override readonly code = 'ERR_BACKUP_PASSWORD'
}

export class NothingToBackUpError extends CairnError {
  static override readonly code = 'ERR_NOTHING_TO_BACK_UP'
  constructor () { super('Nothing to back up: pick or drop at least one file or folder.') }
}

export class BackupStorageFullError extends CairnError {
  static override readonly code = 'ERR_BACKUP_STORAGE_FULL'
}

/** A RestoreIncompleteError whose every failure is a refused name: nothing of those was written. */
function onlyRefusedNames (err: unknown): boolean {
  const e = err as { name?: unknown, errors?: ReadonlyArray<{ code?: string }> } | null
  return e?.name === 'RestoreIncompleteError' && Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(x => x.code === UnsafeNameError.code)
}

function isQuotaError (err: unknown): boolean {
  for (let e = err as { name?: string, message?: string, cause?: unknown } | undefined, i = 0; e !== undefined && e !== null && i < 5; e = e.cause as typeof e, i++) {
    if (e.name === 'QuotaExceededError' || (e.message ?? '').includes('QuotaExceeded')) return true
  }
  return false
}

export class RepositoryReopenError extends CairnError {
  static override readonly code = 'ERR_REPOSITORY_REOPEN'
  constructor () { super('The IPFS node restarted (settings changed), so the repository was closed. Open it again.') }
}

export interface RepoRow {
  id: string
  label: string
  name: string | undefined
  root: string | undefined
  /** This device holds the name's key, so backups republish it. */
  writable: boolean
  remembered: boolean
  lastUsedAt: number
}

export interface SnapshotRow {
  id: string
  shortId: string
  /** ISO time. */
  time: string
  host: string
  tags: string[]
  paths: string[]
  parent: string | undefined
  totals?: TreeTotals | undefined
  changes?: ChangeStats | undefined
  /** Made by a backup on this device (statistics from the backup itself). */
  bytesAdded?: number | undefined
}

export interface OpenRepoView {
  id: string
  label: string
  /** `ipns://k51…` or `ipfs://<cid>`. */
  location: string
  name: string | undefined
  root: string | undefined
  writable: boolean
  snapshots: SnapshotRow[]
  loadingStats: boolean
}

export interface TreeRow {
  name: string
  type: string
  size: number
  mtime: string
}

export interface ProgressOptions extends AbortOptions {
  onProgress?: (p: TransferProgress) => void
}

export interface OpenOptions extends ProgressOptions {
  password?: string | undefined
  remember?: boolean | undefined
}

export interface BackupRunOptions extends ProgressOptions {
  host: string
  tags: string[]
}

export interface BackupResult {
  snapshotId: string
  root: string | undefined
  filesNew: number
  filesChanged: number
  filesUnmodified: number
  bytesProcessed: number
  bytesAdded: number
  packsAdopted: number
  errors: Array<{ path: string, message: string }>
  published: boolean
  publishError: string | undefined
}

export interface ForgetResult {
  removed: string[]
  kept: number
  prune: PruneResult | undefined
}

export interface BackupsService {
  repos: Store<RepoRow[]>
  current: Store<OpenRepoView | undefined>
  refresh: () => Promise<void>
  create: (label: string, password: string, options?: OpenOptions) => Promise<void>
  /** Open by IPNS name (`k51…`, `/ipns/…`, `ipns://…`) or root CID (`bafy…`, `ipfs://…`). Without a password, a remembered one is used. */
  open: (location: string, options?: OpenOptions) => Promise<void>
  close: () => Promise<void>
  /** Forget a repository on this device (its data stays where it is). */
  removeRepo: (id: string) => Promise<void>
  forgetPassword: (id: string) => Promise<void>
  backup: (entries: PickedEntry[], options: BackupRunOptions) => Promise<BackupResult>
  refreshSnapshots: (options?: AbortOptions) => Promise<void>
  list: (snapshotId: string, path: string, options?: AbortOptions) => Promise<TreeRow[]>
  downloadFile: (snapshotId: string, path: string, options?: ProgressOptions) => Promise<void>
  restoreZip: (snapshotId: string, path: string, options?: ProgressOptions) => Promise<{ files: number, bytes: number, skipped: string[] }>
  restoreToDirectory: (snapshotId: string, path: string, dir: FileSystemDirectoryHandle, options?: ProgressOptions) => Promise<{ files: number, bytes: number, skipped: string[] }>
  forget: (policy: ForgetPolicy, options?: ProgressOptions & { prune?: boolean }) => Promise<ForgetResult>
  prune: (options?: ProgressOptions) => Promise<PruneResult>
  unlock: (options?: AbortOptions) => Promise<string[]>
  check: (options?: ProgressOptions & { readData?: boolean }) => Promise<{ ok: boolean, errors: string[] }>
  /** The keepers in Settings, and connected peers that offer to pin. */
  pushTargets: (options?: AbortOptions) => Promise<PushTarget[]>
  /**
   * Push the repository's current root to each target, concurrently. `onStatus` gets the status
   * of every target whenever one changes. Resolves when all are done; failures are reported in the
   * statuses, not thrown.
   */
  push: (targets: PushTarget[], options?: AbortOptions & { onStatus?: (s: PushStatus[]) => void }) => Promise<PushStatus[]>
  /** The open repository's backend and repository, for pushes and tests. */
  session: () => { backend: IpfsBackend, repo: Repository, node: CairnNode, view: OpenRepoView }
}

interface Session {
  record: RepoRecord
  node: CairnNode
  backend: IpfsBackend
  repo: Repository
  stats: TreeStats
  view: OpenRepoView
}

/** Least time between checkpoints (pin the new root and republish) during a backup; the first comes with the first pack. */
const CHECKPOINT_MIN_MS = 3_000
const DEFAULT_HOST = 'cairn-browser'

/** A progress report for a step without a byte count (open, publish, forget…). */
function phase (options: ProgressOptions, label: string): void {
  options.onProgress?.({ label, done: 0, total: undefined, rate: 0, eta: undefined })
}

function slug (label: string): string {
  return label.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, 40) || 'repo'
}

export function createBackupsService (node: NodeService, names: NamesService, keepers: KeepersService, settings: () => NetworkSettings | undefined, onStorageChanged: () => void): BackupsService {
  const repos = createStore<RepoRow[]>([])
  const current = createStore<OpenRepoView | undefined>(undefined)
  let storeP: Promise<BackupStore> | undefined
  const db = async (): Promise<BackupStore> => { storeP ??= openBackupStore(); return storeP }
  let engineP: Promise<typeof Engine> | undefined
  const engine = async (): Promise<typeof Engine> => { engineP ??= import('./backups-engine.js'); return engineP }
  // This tab's identity in restic lock files (see platform/lock-sessions.ts), started once.
  let lockSessionP: ReturnType<typeof Engine.startLockSession> | undefined
  const lockHolder = async (): Promise<Engine.PageLockHolder> => { lockSessionP ??= (await engine()).startLockSession(); return await lockSessionP }
  let session: Session | undefined

  const routers = (): string[] => settings()?.delegatedRouters ?? []
  const live = (): Session => {
    if (session === undefined) throw new NoRepositoryOpenError()
    let n: CairnNode
    try { n = node.node() } catch (err) { if (err instanceof NodeNotReadyError) throw new RepositoryReopenError(); throw err }
    if (n !== session.node) { void closeSession(); throw new RepositoryReopenError() }
    return session
  }
  const setView = (s: Session, patch: Partial<OpenRepoView>): void => {
    s.view = { ...s.view, ...patch }
    if (session === s) current.set(s.view)
  }

  const toRow = (r: RepoRecord): RepoRow => ({ id: r.id, label: r.label, name: r.name, root: r.root, writable: r.keyName !== undefined, remembered: r.password !== undefined, lastUsedAt: r.lastUsedAt })

  async function closeSession (): Promise<void> {
    const s = session
    session = undefined
    current.set(undefined)
    if (s === undefined) return
    try {
      await s.backend.close()
    } catch (err) {
      console.warn('Closing the repository failed:', err)
    }
  }

  async function snapshotRows (s: Session, options: AbortOptions): Promise<SnapshotRow[]> {
    const e = await engine()
    const list = await e.listSnapshots(s.repo, {}, options)
    const summaries = await (await db()).summaries(s.record.id)
    return list.reverse().map((snap: Snapshot): SnapshotRow => {
      const sum = summaries.get(snap.id)
      return {
        id: snap.id,
        shortId: snap.id.slice(0, 8),
        time: new Date(Number(e.parseTime(snap.time) / 1_000_000n)).toISOString(),
        host: snap.hostname ?? '',
        tags: snap.tags ?? [],
        paths: snap.paths,
        parent: snap.parent,
        changes: sum === undefined ? undefined : { filesNew: sum.filesNew, filesChanged: sum.filesChanged, filesUnmodified: sum.filesUnmodified, filesRemoved: 0 },
        bytesAdded: sum?.bytesAdded
      }
    })
  }

  /** Fill in sizes and change statistics, newest first, without blocking the list. */
  async function fillStats (s: Session, options: AbortOptions): Promise<void> {
    const e = await engine()
    setView(s, { loadingStats: true })
    try {
      const byId = new Map<string, Snapshot>()
      for (const snap of await e.listSnapshots(s.repo, {}, options)) byId.set(snap.id, snap)
      for (const row of s.view.snapshots) {
        if (session !== s) return
        const snap = byId.get(row.id)
        if (snap === undefined) continue
        const totals = await s.stats.totals(snap.tree, options)
        const parentTree = snap.parent !== undefined ? byId.get(snap.parent)?.tree : undefined
        const changes = await s.stats.changes(parentTree, snap.tree, options)
        setView(s, { snapshots: s.view.snapshots.map(r => r.id === row.id ? { ...r, totals, changes } : r) })
      }
    } finally {
      setView(s, { loadingStats: false })
    }
  }

  async function refreshSnapshots (options: AbortOptions = {}): Promise<void> {
    const s = live()
    setView(s, { snapshots: await snapshotRows(s, options) })
    void fillStats(s, options).catch((err: unknown) => { if (!isAbortError(err)) console.warn('Snapshot statistics failed:', err) })
  }

  async function saveRecord (record: RepoRecord): Promise<void> {
    await (await db()).put(record)
    await service.refresh()
  }

  async function openWith (record: RepoRecord, backend: IpfsBackend, repo: Repository, n: CairnNode): Promise<void> {
    await closeSession()
    const e = await engine()
    const s: Session = {
      record,
      node: n,
      backend,
      repo,
      stats: new e.TreeStats(repo),
      view: {
        id: record.id,
        label: record.label,
        location: record.name !== undefined ? `ipns://${record.name}` : `ipfs://${record.root ?? ''}`,
        name: record.name,
        root: record.root,
        writable: record.keyName !== undefined,
        snapshots: [],
        loadingStats: false
      }
    }
    // Trees and file contents are found through the index: load it once, before anything reads.
    await repo.loadIndex()
    session = s
    current.set(s.view)
    await refreshSnapshots()
  }

  /** Run a write under the repository's Web Lock and the shared blocks lock (no GC meanwhile). */
  async function writing<T> (s: Session, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return withWebLock(`restic:${s.record.id}`, signal, async () => withWebLock('blocks', signal, fn, 'shared'))
  }

  /** Pin the new root and (with the key) republish the name; updates the stored root. */
  async function commit (s: Session, options: AbortOptions = {}): Promise<{ published: boolean, error: string | undefined }> {
    let published = false
    let error: string | undefined
    try {
      if (s.record.keyName !== undefined) {
        await s.backend.publish(options)
        published = true
      } else {
        await s.backend.flush(options)
      }
    } catch (err) {
      if (isAbortError(err)) throw err
      error = (err as Error).message
    }
    const root = s.backend.root?.toString()
    if (root !== undefined && root !== s.record.root) {
      s.record = { ...s.record, root, lastUsedAt: Date.now() }
      await saveRecord(s.record)
      setView(s, { root })
    }
    onStorageChanged()
    return { published, error }
  }

  async function snapshotOf (s: Session, id: string, options: AbortOptions): Promise<Snapshot> {
    const e = await engine()
    return await e.findSnapshot(s.repo, id, {}, options)
  }

  async function restoreInto (snapshotId: string, path: string, makeSink: (e: typeof Engine, snap: Snapshot) => Engine.DirectorySink | Engine.ZipSink, run: (sink: Engine.DirectorySink | Engine.ZipSink, restoring: Promise<unknown>, total: number | undefined) => Promise<void>, options: ProgressOptions): Promise<{ files: number, bytes: number, skipped: string[] }> {
    const s = live()
    const e = await engine()
    const snap = await snapshotOf(s, snapshotId, options)
    // The size to restore, for the progress bar.
    let total: number | undefined
    try {
      const sub = e.splitPath(path)
      if (sub.length === 0) total = (await s.stats.totals(snap.tree, options)).bytes
      else {
        const n = await e.findNode(s.repo, snap.tree, sub, options)
        total = n.type === 'dir' && typeof n.subtree === 'string' ? (await s.stats.totals(n.subtree, options)).bytes : n.size ?? 0
      }
    } catch (err) {
      if (isAbortError(err)) throw err
      total = undefined // the restore itself reports what is wrong with the path
    }
    const meter = createMeter('Restoring')
    let bytes = 0
    let files = 0
    const sink = makeSink(e, snap)
    const pool = e.createResticPool({ signal: options.signal })
    const restoring = e.restore(s.repo, snap, sink, {
      path,
      pool,
      signal: options.signal,
      onProgress: (evt) => {
        if (evt.type === 'restic:restore:bytes') { bytes += evt.detail.bytes; options.onProgress?.({ ...meter.update(bytes, total), files: { done: files, total: undefined } }) }
        if (evt.type === 'restic:restore:file') files++
      }
    })
    try {
      await run(sink, restoring, total)
    } finally {
      pool.close()
    }
    return { files, bytes, skipped: sink.skipped }
  }

  const service: BackupsService = {
    repos,
    current,

    async refresh () {
      repos.set((await (await db()).list()).map(toRow))
    },

    async create (label, password, options = {}) {
      label = label.trim()
      if (label === '') throw new InvalidInputError('Give the repository a name, e.g. "Photos".')
      if (password === '') throw new InvalidInputError('Choose a password. Without it nobody, not even you, can restore the backup.')
      const n = node.node()
      const e = await engine()
      const { keys, state } = await names.stores()
      const keyName = `backup-${slug(label)}-${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36) ?? '0'}`
      phase(options, 'Creating the repository key…')
      const backend = await e.createIpfsBackend({ helia: n }, { ipns: { routers: routers(), libp2p: n.libp2p, state, keys, keyName }, location: `new repository "${label}"` })
      let repo: Repository
      try {
        phase(options, 'Deriving the key from the password (scrypt)…')
        repo = await e.Repository.init(backend, { password, hostname: DEFAULT_HOST, lockHolder: await lockHolder(), signal: options.signal })
        phase(options, 'Publishing the repository\'s name…')
        await withWebLock('blocks', options.signal, async () => { await backend.publish({ signal: options.signal }) }, 'shared')
      } catch (err) {
        await backend.close().catch(() => {})
        await keys.remove(keyName).catch(() => {})
        throw err
      }
      const name = (await backend.ipnsName())?.k51
      if (name === undefined) throw new Error('unreachable: a new repository without a name')
      const record: RepoRecord = { id: name, label, name, keyName, root: backend.root?.toString(), createdAt: Date.now(), lastUsedAt: Date.now() }
      await saveRecord(record)
      if (options.remember === true) await (await db()).rememberPassword(record.id, password)
      await names.refresh().catch(() => {})
      await openWith((await (await db()).get(record.id)) ?? record, backend, repo, n)
    },

    async open (location, options = {}) {
      const n = node.node()
      const e = await engine()
      const { keys, state } = await names.stores()
      let text = location.trim().replace(/^ipns:\/\//, '/ipns/').replace(/^ipfs:\/\//, '/ipfs/').replace(/\/+$/, '')
      let name: string | undefined
      let root: string | undefined
      if (text.startsWith('/ipns/')) text = text.slice(6)
      if (text.startsWith('/ipfs/')) root = text.slice(6)
      else {
        try {
          name = e.parseName(text).k51
        } catch {
          try { root = e.CID.parse(text).toString() } catch {
            throw new InvalidInputError(`"${location}" is neither an IPNS name (k51…, bafz…, /ipns/…) nor a CID. Paste the repository's name as shown where it was created.`)
          }
        }
      }
      if (root !== undefined) {
        try { root = e.CID.parse(root).toString() } catch { throw new InvalidInputError(`"${root}" is not a CID. Paste the repository's root CID, or better its IPNS name.`) }
      }
      const id = name ?? (root as string)
      const db_ = await db()
      const known = await db_.get(id)
      const password = options.password !== undefined && options.password !== '' ? options.password : await db_.recallPassword(id)
      if (password === undefined) throw new BackupPasswordError('Enter the repository\'s password (none is remembered on this device for it).')
      let keyName = known?.keyName
      if (keyName === undefined && name !== undefined) keyName = (await keys.list()).find(k => k.name.k51 === name)?.keyName
      phase(options, name !== undefined ? 'Resolving the name…' : 'Fetching the repository root…')
      const ipns = { routers: routers(), libp2p: n.libp2p, state, ...(keyName !== undefined ? { keys, keyName } : {}) }
      let backend: IpfsBackend
      try {
        backend = await e.createIpfsBackend({ helia: n }, { ...(name !== undefined ? { name } : { root }), ipns, signal: options.signal })
      } catch (err) {
        // A publish cut short (the tab was closed mid-backup) leaves the routers one record behind
        // the one this device signed and kept. That newer record is the repository's real state:
        // open its root, and send the record to the routers again.
        const held = name !== undefined && (err as Error).cause instanceof Error && ((err as Error).cause as Error).name === 'SequenceRollbackError'
          ? (await state.get(e.parseName(name)))?.lastRecord
          : undefined
        const verdict = held !== undefined ? await e.inspectRecord(held, { name }) : undefined
        const heldRoot = verdict?.valid === true ? /^\/ipfs\/([^/]+)$/.exec(verdict.value)?.[1] : undefined
        if (held === undefined || heldRoot === undefined) throw err
        phase(options, 'The routers are behind this device: republishing the newest record…')
        await e.pushRecord({ routers: routers(), libp2p: n.libp2p, state }, held, { signal: options.signal }).catch((pushErr: unknown) => { console.warn('Re-sending the newest record failed:', pushErr) })
        backend = await e.createIpfsBackend({ helia: n }, { root: heldRoot, ipns, location: `ipns://${name ?? ''}`, signal: options.signal })
      }
      let repo: Repository
      try {
        phase(options, 'Checking the password (scrypt)…')
        repo = await e.Repository.open(backend, { password, lockHolder: await lockHolder(), signal: options.signal })
      } catch (err) {
        await backend.close().catch(() => {})
        if (err instanceof e.WrongPasswordError) {
          if (known?.password !== undefined && (options.password === undefined || options.password === '')) await db_.forgetPassword(id)
          throw new BackupPasswordError(`Wrong password: no key of ${name !== undefined ? `ipns://${name}` : `ipfs://${root ?? ''}`} opens with it. Check the password (it is case-sensitive) and try again; nothing was changed.`, { cause: err })
        }
        throw err
      }
      const record: RepoRecord = {
        ...(known ?? { label: name !== undefined ? `Repository ${name.slice(-6)}` : `Snapshot root ${root?.slice(-6) ?? ''}`, createdAt: Date.now() }),
        id,
        name,
        keyName,
        root: backend.root?.toString() ?? root,
        lastUsedAt: Date.now()
      }
      await saveRecord(record)
      if (options.remember === true) await db_.rememberPassword(id, password)
      await openWith((await db_.get(id)) ?? record, backend, repo, n)
    },

    async close () { await closeSession() },

    async removeRepo (id) {
      if (session?.record.id === id) await closeSession()
      await (await db()).remove(id)
      await service.refresh()
    },

    async forgetPassword (id) {
      await (await db()).forgetPassword(id)
      await service.refresh()
    },

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
    },

    refreshSnapshots,

    async list (snapshotId, path, options = {}) {
      const s = live()
      const e = await engine()
      const snap = await snapshotOf(s, snapshotId, options)
      const sub = e.splitPath(path)
      let treeId = snap.tree
      if (sub.length > 0) {
        const n = await e.findNode(s.repo, snap.tree, sub, options)
        if (n.type !== 'dir' || typeof n.subtree !== 'string') throw new InvalidInputError(`${path} is not a folder in snapshot ${snapshotId.slice(0, 8)}.`)
        treeId = n.subtree
      }
      const tree = await e.loadTree(s.repo, treeId, options)
      return tree.nodes.map(n => ({ name: n.name, type: n.type, size: n.size ?? 0, mtime: n.mtime }))
    },

    async downloadFile (snapshotId, path, options = {}) {
      const s = live()
      const e = await engine()
      const snap = await snapshotOf(s, snapshotId, options)
      const n = await e.findNode(s.repo, snap.tree, e.splitPath(path), options)
      if (n.type !== 'file') throw new InvalidInputError(`${path} is not a file; restore folders as a zip or into a folder.`)
      await s.repo.loadIndex({ signal: options.signal })
      const meter = createMeter('Downloading')
      const total = n.size ?? 0
      let done = 0
      async function * content (): AsyncGenerator<Uint8Array> {
        for (const id of n.content ?? []) {
          const blob = await s.repo.loadBlob('data', id, { signal: options.signal })
          done += blob.length
          options.onProgress?.(meter.update(done, total))
          yield blob
        }
      }
      await saveStream(n.name, content(), { size: total, ...(options.signal !== undefined ? { signal: options.signal } : {}) })
    },

    async restoreZip (snapshotId, path, options = {}) {
      let zipName = ''
      return await restoreInto(snapshotId, path, (e, snap) => {
        const base = e.splitPath(path)
        zipName = `${base[base.length - 1] ?? `snapshot-${snap.id.slice(0, 8)}`}.zip`
        return new e.ZipSink(base[base.length - 1] ?? snap.id.slice(0, 8))
      }, async (sink, restoring, total) => {
        const e = await engine()
        const zip = sink as Engine.ZipSink
        // Refused names (nothing of them was written) still give a complete zip of everything
        // else; the error naming them is raised once the zip is saved. Other failures end the zip.
        let refused: unknown
        const done = restoring.then(() => { zip.end() }, (err: unknown) => {
          if (onlyRefusedNames(err)) { zip.end(); refused = err; return }
          zip.end(err)
          throw err
        })
        const stream = e.makeZip(zip.entries())
        const reader = stream.getReader()
        async function * pieces (): AsyncGenerator<Uint8Array> {
          while (true) {
            const { done: finished, value } = await reader.read()
            if (finished) return
            yield value
          }
        }
        await Promise.all([saveStream(zipName, pieces(), { ...(total !== undefined ? { size: total } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}) }), done])
        if (refused !== undefined) throw refused
      }, options)
    },

    async restoreToDirectory (snapshotId, path, dir, options = {}) {
      return await restoreInto(snapshotId, path, (e) => new e.DirectorySink(dir), async (_sink, restoring) => { await restoring }, options)
    },

    async forget (policy, options = {}) {
      const s = live()
      const e = await engine()
      return await writing(s, options.signal, async () => {
        phase(options, 'Forgetting snapshots…')
        const groups = await e.forget(s.repo, policy, { signal: options.signal })
        const removed = groups.flatMap(g => g.remove.map(r => r.id))
        const kept = groups.reduce((n, g) => n + g.keep.length, 0)
        let pruned: PruneResult | undefined
        if (options.prune === true && removed.length > 0) {
          phase(options, 'Pruning unused data…')
          pruned = await e.prune(s.repo, { signal: options.signal })
        }
        await commit(s, {})
        await refreshSnapshots()
        return { removed, kept, prune: pruned }
      })
    },

    async prune (options = {}) {
      const s = live()
      const e = await engine()
      return await writing(s, options.signal, async () => {
        phase(options, 'Pruning unused data…')
        const result = await e.prune(s.repo, { signal: options.signal })
        await commit(s, {})
        await refreshSnapshots()
        return result
      })
    },

    async unlock (options = {}) {
      const s = live()
      const e = await engine()
      return await writing(s, options.signal, async () => {
        const removed = await e.removeLocks(s.repo, options)
        if (removed.length > 0) await commit(s, {})
        return removed
      })
    },

    async check (options = {}) {
      const s = live()
      const e = await engine()
      phase(options, options.readData === true ? 'Checking the repository and reading all data…' : 'Checking the repository…')
      const result = await e.check(s.repo, { readData: options.readData === true, signal: options.signal })
      return { ok: result.errors.length === 0, errors: result.errors }
    },

    async pushTargets (options = {}) {
      live()
      return await backupPushTargets(keepers, options)
    },

    async push (targets, options = {}) {
      const s = live()
      const root = s.backend.root
      if (root === undefined) throw new InvalidInputError('The repository has no root yet: make a backup first.')
      return await pushBackup(keepers, { root: root.toString(), backend: s.backend, label: s.record.label, engine }, targets, options)
    },

    session () {
      const s = live()
      return { backend: s.backend, repo: s.repo, node: s.node, view: s.view }
    }
  }
  return service
}
