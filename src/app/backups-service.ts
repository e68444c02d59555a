/**
 * Backups: restic repositories stored on IPFS, each under its own IPNS name.
 *
 * - create / open (by IPNS name or root CID, with the password; "remember on this device" keeps the
 *   password encrypted under a non-extractable device key);
 * - backup of picked files and folders (host, tags), with progress and cancel. Each uploaded pack
 *   is followed by a checkpoint: the new root is pinned and the name republished, so a tab closed
 *   mid-way leaves a repository that restic checks and a next backup that reuses those packs;
 * - snapshots with size and change statistics (sorted and filtered by ./backups/snapshot-table.ts;
 *   damaged snapshot files are listed with why), browsing, file download, restore of a snapshot, a
 *   folder or several picked entries at once as a streamed zip or tar or into a folder (File
 *   System Access API), with bytes, files, rate and ETA;
 * - find across snapshots (./backups/find.ts) and a snapshot diff (./backups/diff.ts), streamed;
 * - forget with keep policies, prune, and removing stale locks;
 * - push the current root to keepers (the shared keepers service) or copy it to a restic REST server.
 * Writes to one repository are serialised across tabs with a Web Lock, and every write holds the
 * shared 'blocks' lock so a garbage collection in another tab never runs in the middle.
 */
import { backupPushTargets, pushBackup } from './backup-push.js'
import { createBackupsContext } from './backups/session.js'
import { openActions } from './backups/open.js'
import { backupActions } from './backups/backup.js'
import { restoreActions } from './backups/restore.js'
import { maintenanceActions } from './backups/maintenance.js'
import { findActions } from './backups/find.js'
import { diffActions } from './backups/diff.js'
import { InvalidInputError } from '../core/errors.js'
import type { NodeService } from './node-service.js'
import type { NamesService } from './names-service.js'
import type { KeepersService } from './keepers-service.js'
import type { BackupsService } from './backups/types.js'
import type { NetworkSettings } from '../core/settings.js'

export type { TreeTotals, ChangeStats } from './backup-stats.js'
export type { PushStatus, PushTarget } from './backup-push.js'
export type { ForgetPolicy } from '../restic/ops/forget.js'
export type { PruneResult } from '../restic/ops/prune.js'
export { loadPasswordRater } from './password-strength.js'
export type { PasswordStrength, PasswordRater } from './password-strength.js'
export { NoRepositoryOpenError, BackupPasswordError, NothingToBackUpError, BackupStorageFullError, RepositoryReopenError } from './backups/errors.js'
export type { RepoRow, SnapshotRow, SkippedSnapshot, OpenRepoView, TreeRow, ProgressOptions, OpenOptions, BackupRunOptions, BackupResult, ForgetResult, BackupsService } from './backups/types.js'
export type { RestoreTarget, RestoreOutcome } from './backups/restore-run.js'
export type { FindHit, FindEvents, FindRunOptions } from './backups/find.js'
export type { DiffChangeRow, DiffSummary, DiffEvents, DiffRunOptions, ChangeKind } from './backups/diff.js'
export type { DiffStat } from '../restic/ops/diff.js'
export type { SnapshotSort, SnapshotSortKey, SnapshotTableFilter } from './backups/snapshot-table.js'
export { viewSnapshots, snapshotFacets, nextSort, DEFAULT_SORT } from './backups/snapshot-table.js'

/**
 * The composition point: one shared context (./backups/session.ts) and a module per use case
 * (open, backup, restore, maintenance), with pushes in ./backup-push.ts.
 */
export function createBackupsService (node: NodeService, names: NamesService, keepers: KeepersService, settings: () => NetworkSettings | undefined, onStorageChanged: () => void): BackupsService {
  const ctx = createBackupsContext(node, names, keepers, settings, onStorageChanged)
  const { live, engine } = ctx
  const service: BackupsService = {
    repos: ctx.repos,
    current: ctx.current,
    refresh: ctx.refresh,
    ...openActions(ctx),
    ...backupActions(ctx),
    refreshSnapshots: ctx.refreshSnapshots,
    ...restoreActions(ctx),
    ...maintenanceActions(ctx),
    ...findActions(ctx),
    ...diffActions(ctx),

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
