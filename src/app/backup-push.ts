/**
 * Push a backup's current root so it outlives the tab: to keepers, through the shared keepers
 * service (app/keepers-service.ts), and to restic REST servers, by copying the repository's files
 * (ipfs/push/mirror.ts). Every target runs at once; failures are statuses, not thrown.
 */
import type { KeepersService } from './keepers-service.js'
import type { AbortOptions } from '../core/options.js'
import type { KeeperKind } from '../ipfs/push/keeper.js'
import type { IpfsBackend } from '../ipfs/restic-backend/index.js'
import type * as Engine from './backups-engine.js'

/** Where a backup can be pushed so it outlives the tab: a keeper (app/keepers-service.ts) or a restic REST server. */
export interface PushTarget {
  /** A keeper's id (`kubo:<name>`, `psa:<name>`, `peer:<peer id>`, …) or `rest:<url>`. */
  id: string
  kind: KeeperKind | 'rest'
  label: string
}

export interface PushStatus {
  target: PushTarget
  state: 'waiting' | 'running' | 'done' | 'failed'
  message: string
}

export interface BackupToPush {
  /** The repository's current root CID. */
  root: string
  backend: IpfsBackend
  /** The repository's label, for the keepers' pin lists. */
  label: string
  engine: () => Promise<typeof Engine>
}

/** The keepers in Settings and the pinning peers, as push targets. */
export async function backupPushTargets (keepers: KeepersService, options: AbortOptions = {}): Promise<PushTarget[]> {
  return (await keepers.list(options)).map(k => ({ id: k.id, kind: k.kind, label: k.kind === 'peer' ? k.label : `${k.name} (${k.label})` }))
}

export async function pushBackup (keepers: KeepersService, repo: BackupToPush, targets: PushTarget[], options: AbortOptions & { onStatus?: ((s: PushStatus[]) => void) | undefined } = {}): Promise<PushStatus[]> {
  const statuses: PushStatus[] = targets.map(target => ({ target, state: 'waiting', message: '' }))
  const update = (i: number, patch: Partial<PushStatus>): void => {
    statuses[i] = { ...statuses[i] as PushStatus, ...patch }
    options.onStatus?.(statuses.map(x => ({ ...x })))
  }
  options.onStatus?.(statuses.map(x => ({ ...x })))
  const toKeepers = targets.filter(t => t.kind !== 'rest').map(t => t.id)
  const keeping = toKeepers.length === 0
    ? undefined
    : keepers.push(repo.root, toKeepers, {
      name: `restic repository ${repo.label}`,
      signal: options.signal,
      onProgress: (evt) => {
        for (const st of evt.detail) {
          const i = targets.findIndex(t => t.id === st.keeper.id)
          if (i >= 0) update(i, { state: st.state, message: st.message })
        }
      }
    }).catch((err: unknown) => {
      for (const [i, t] of targets.entries()) if (t.kind !== 'rest') update(i, { state: 'failed', message: (err as Error).message })
    })
  await Promise.all([keeping, ...targets.map(async (t, i) => {
    if (t.kind !== 'rest') return
    update(i, { state: 'running', message: 'Starting…' })
    try {
      const e = await repo.engine()
      const target = new e.RestBackend({ url: t.id.slice('rest:'.length) })
      const r = await e.mirrorRepository(repo.backend, target, {
        signal: options.signal,
        onProgress: (evt) => { if (evt.type === 'push:mirror:file') update(i, { message: `Copied ${evt.detail.files} of ${evt.detail.totalFiles} files` }) }
      })
      update(i, { state: 'done', message: `Copied ${r.files} file(s) (${r.bytes} bytes); ${r.skipped} were there already.` })
    } catch (err) {
      update(i, { state: 'failed', message: (err as Error).message })
    }
  })])
  return statuses
}
