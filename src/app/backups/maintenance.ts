/**
 * Looking after the open repository: forget snapshots by keep policy (optionally pruning), prune,
 * remove stale locks, check (optionally reading all data).
 */
import { phase } from './session.js'
import type { BackupsContext } from './session.js'
import type { BackupsService } from './types.js'
import type { PruneResult } from '../../restic/ops/prune.js'

export function maintenanceActions (ctx: BackupsContext): Pick<BackupsService, 'forget' | 'prune' | 'unlock' | 'check'> {
  const { live, engine, writing, commit, refreshSnapshots } = ctx
  return {
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
    }
  }
}
