/**
 * The backups service's shared state: the open repository (node, backend, repo, view) and what
 * every use case needs around it: the device's repository list, the engine (loaded on first use),
 * this tab's lock identity, the write locks, and the checkpoint that pins and republishes the root.
 */
import { createStore } from '../store.js'
import { NodeNotReadyError } from '../errors.js'
import { NoRepositoryOpenError, RepositoryReopenError } from './errors.js'
import { isAbortError } from '../../core/errors.js'
import { openBackupStore } from '../../platform/backup-store.js'
import { withWebLock } from '../../platform/locks.js'
import type { Store } from '../store.js'
import type { NodeService } from '../node-service.js'
import type { NamesService } from '../names-service.js'
import type { KeepersService } from '../keepers-service.js'
import type { TreeStats } from '../backup-stats.js'
import type { OpenRepoView, ProgressOptions, RepoRow, SkippedSnapshot, SnapshotRow } from './types.js'
import type { BackupStore, RepoRecord } from '../../platform/backup-store.js'
import type { AbortOptions } from '../../core/options.js'
import type { NetworkSettings } from '../../core/settings.js'
import type { CairnNode } from '../../ipfs/node.js'
import type { IpfsBackend } from '../../ipfs/restic-backend/index.js'
import type { Repository } from '../../restic/repository/repository.js'
import type { Snapshot } from '../../restic/repofile/snapshot.js'
import type * as Engine from '../backups-engine.js'

export interface Session {
  record: RepoRecord
  node: CairnNode
  backend: IpfsBackend
  repo: Repository
  stats: TreeStats
  view: OpenRepoView
}

export const DEFAULT_HOST = 'cairn-browser'

/** A progress report for a step without a byte count (open, publish, forget…). */
export function phase (options: ProgressOptions, label: string): void {
  options.onProgress?.({ label, done: 0, total: undefined, rate: 0, eta: undefined })
}

/** What the use-case modules (open, backup, restore, maintenance) share. */
export interface BackupsContext {
  node: NodeService
  names: NamesService
  keepers: KeepersService
  repos: Store<RepoRow[]>
  current: Store<OpenRepoView | undefined>
  db: () => Promise<BackupStore>
  engine: () => Promise<typeof Engine>
  /** This tab's identity in restic lock files (see platform/lock-sessions.ts), started once. */
  lockHolder: () => Promise<Engine.PageLockHolder>
  routers: () => string[]
  /** The trustless gateways in Settings: a repository's reads go through one block session over them and the peers. */
  gateways: () => string[]
  /** The open session, if any (it may belong to a node that has since restarted). */
  session: () => Session | undefined
  /** The open session, checked against the running node. */
  live: () => Session
  setView: (s: Session, patch: Partial<OpenRepoView>) => void
  closeSession: () => Promise<void>
  /** Reload the list of repositories known on this device. */
  refresh: () => Promise<void>
  saveRecord: (record: RepoRecord) => Promise<void>
  openWith: (record: RepoRecord, backend: IpfsBackend, repo: Repository, n: CairnNode) => Promise<void>
  writing: <T>(s: Session, signal: AbortSignal | undefined, fn: () => Promise<T>) => Promise<T>
  commit: (s: Session, options?: AbortOptions) => Promise<{ published: boolean, error: string | undefined }>
  refreshSnapshots: (options?: AbortOptions) => Promise<void>
}

export function createBackupsContext (node: NodeService, names: NamesService, keepers: KeepersService, settings: () => NetworkSettings | undefined, onStorageChanged: () => void): BackupsContext {
  const repos = createStore<RepoRow[]>([])
  const current = createStore<OpenRepoView | undefined>(undefined)
  let storeP: Promise<BackupStore> | undefined
  const db = async (): Promise<BackupStore> => { storeP ??= openBackupStore(); return storeP }
  let engineP: Promise<typeof Engine> | undefined
  const engine = async (): Promise<typeof Engine> => { engineP ??= import('../backups-engine.js'); return engineP }
  // This tab's identity in restic lock files (see platform/lock-sessions.ts), started once.
  let lockSessionP: ReturnType<typeof Engine.startLockSession> | undefined
  const lockHolder = async (): Promise<Engine.PageLockHolder> => { lockSessionP ??= (await engine()).startLockSession(); return await lockSessionP }
  let session: Session | undefined

  const routers = (): string[] => settings()?.delegatedRouters ?? []
  const gateways = (): string[] => settings()?.gateways ?? []
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

  const toRow = (r: RepoRecord): RepoRow => ({ id: r.id, label: r.label, name: r.name, root: r.root, writable: r.keyName !== undefined || r.canPublish === true, remembered: r.password !== undefined, lastUsedAt: r.lastUsedAt })

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

  async function snapshotRows (s: Session, options: AbortOptions): Promise<{ rows: SnapshotRow[], skipped: SkippedSnapshot[] }> {
    const e = await engine()
    const skipped: SkippedSnapshot[] = []
    const onSkipped = (id: string, err: Error): void => { skipped.push({ id, shortId: id.slice(0, 8), reason: err.message }) }
    const list = await e.listSnapshots(s.repo, {}, { signal: options.signal, onSkipped })
    const summaries = await (await db()).summaries(s.record.id)
    const rows = list.reverse().map((snap: Snapshot): SnapshotRow => {
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
    return { rows, skipped }
  }

  /** Fill in sizes and change statistics, newest first, without blocking the list. */
  async function fillStats (s: Session, options: AbortOptions): Promise<void> {
    const e = await engine()
    setView(s, { loadingStats: true })
    try {
      const byId = new Map<string, Snapshot>()
      for (const snap of await e.listSnapshots(s.repo, {}, { signal: options.signal, onSkipped: () => {} })) byId.set(snap.id, snap)
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
    const { rows, skipped } = await snapshotRows(s, options)
    setView(s, { snapshots: rows, skipped })
    void fillStats(s, options).catch((err: unknown) => { if (!isAbortError(err)) console.warn('Snapshot statistics failed:', err) })
  }

  async function saveRecord (record: RepoRecord): Promise<void> {
    await (await db()).put(record)
    await refresh()
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
        // The device's own key, or the one the repository carries (unlocked when it was opened).
        writable: await backend.ipnsName() !== undefined,
        snapshots: [],
        skipped: [],
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
      if (await s.backend.ipnsName(options) !== undefined) {
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

  async function refresh (): Promise<void> {
    repos.set((await (await db()).list()).map(toRow))
  }

  return { node, names, keepers, repos, current, db, engine, lockHolder, routers, gateways, session: () => session, live, setView, closeSession, refresh, saveRecord, openWith, writing, commit, refreshSnapshots }
}
