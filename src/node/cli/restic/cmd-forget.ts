import { flag, int, list, str } from './context.js'
import { runPrune } from './cmd-prune.js'
import type { ResticCommand } from './context.js'

const KEEP = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const

const command: ResticCommand = {
  name: 'forget',
  usage: '  forget                        remove snapshots by policy (--keep-last N, --keep-daily N, ..., --keep-tag a,b; --prune; -n)',
  options: {
    ...Object.fromEntries(KEEP.map(k => [`keep-${k}`, { type: 'string' as const }])),
    'keep-tag': { type: 'string', multiple: true },
    prune: { type: 'boolean' },
    'dry-run': { type: 'boolean', short: 'n' }
  },
  async run (ctx) {
    const { r, repo, values, io, json, filter, signal } = ctx
    const policy = {
      ...Object.fromEntries(KEEP.map(k => [k, int(str(values, `keep-${k}`), `keep-${k}`)])),
      tags: list(values, 'keep-tag')
    }
    const dryRun = flag(values, 'dry-run')
    const groups = await r.forget(repo, policy, { filter, dryRun, signal })
    if (json) io.out(JSON.stringify(groups.map(g => ({ host: g.key.hostname, paths: g.key.paths, keep: g.keep.map(s => s.id), remove: g.remove.map(s => s.id) }))) + '\n')
    else for (const g of groups) io.out(`host ${g.key.hostname}, paths [${g.key.paths.join(' ')}]: keep ${g.keep.length}, remove ${g.remove.length}${g.remove.length > 0 ? ' (' + g.remove.map(s => s.id.slice(0, 8)).join(' ') + ')' : ''}\n`)
    if (flag(values, 'prune') && !dryRun) return await runPrune(ctx)
    return 0
  }
}
export default command
