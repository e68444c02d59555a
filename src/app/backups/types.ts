/** The shapes the backups service shows its callers (re-exported by ../backups-service.ts). */
import type { Store } from '../store.js'
import type { TransferProgress } from '../progress.js'
import type { PushStatus, PushTarget } from '../backup-push.js'
import type { TreeTotals, ChangeStats } from '../backup-stats.js'
import type { PickedEntry } from '../../platform/file-sources.js'
import type { AbortOptions } from '../../core/options.js'
import type { CairnNode } from '../../ipfs/node.js'
import type { IpfsBackend } from '../../ipfs/restic-backend/index.js'
import type { Repository } from '../../restic/repository/repository.js'
import type { ForgetPolicy } from '../../restic/ops/forget.js'
import type { PruneResult } from '../../restic/ops/prune.js'
import type { RestoreOutcome, RestoreTarget } from './restore-run.js'
import type { FindHit, FindRunOptions } from './find.js'
import type { DiffChangeRow, DiffRunOptions, DiffSummary } from './diff.js'

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
  /** Snapshot files the last listing left out because they could not be loaded, with why. */
  skipped: SkippedSnapshot[]
  loadingStats: boolean
}

export interface SkippedSnapshot {
  id: string
  shortId: string
  reason: string
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
  /**
   * Several picked entries (path segments from the snapshot root) in ONE restore, with one
   * progress and one cancel, into a folder or as a .zip/.tar download; entries keep their path
   * below the deepest folder that holds them all.
   */
  /** A whole snapshot ("/"), a folder's contents or one file, into a folder or as a .zip/.tar download. */
  restorePath: (snapshotId: string, path: string, target: RestoreTarget, options?: ProgressOptions) => Promise<RestoreOutcome>
  restoreSelection: (snapshotId: string, paths: ReadonlyArray<readonly string[]>, target: RestoreTarget, options?: ProgressOptions) => Promise<RestoreOutcome>
  /** Entries matching a restic pattern in every snapshot (or `options.snapshots`), newest snapshot first, as they are found. */
  find: (pattern: string, options?: FindRunOptions) => AsyncGenerator<FindHit>
  /** What changed from one snapshot to the other, path by path, then one `stats` item. */
  diff: (fromId: string, toId: string, options?: DiffRunOptions) => AsyncGenerator<DiffChangeRow | DiffSummary>
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
