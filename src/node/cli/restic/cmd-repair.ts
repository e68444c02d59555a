import { InvalidInputError } from '../../../core/errors.js'
import { flag } from './context.js'
import { printRewrite, rewriteReporter } from './cmd-rewrite.js'
import type { ResticCommand, ResticContext } from './context.js'

/** `repair index` (restic 0.16) and `rebuild-index` (its 0.14 name). */
export async function runRepairIndex ({ r, repo, values, io, json, signal }: ResticContext): Promise<number> {
  const res = await r.repairIndex(repo, {
    readAllPacks: flag(values, 'read-all-packs'),
    signal,
    onProgress: (evt) => {
      switch (evt.type) {
        case 'restic:repair:index-invalid': io.err(`removing invalid index ${evt.detail.id}: ${evt.detail.message}\n`); break
        case 'restic:repair:pack-added': io.err(evt.detail.reason === 'unindexed' ? `adding pack file to index ${evt.detail.id}\n` : `reindexing pack file ${evt.detail.id} with unexpected size\n`); break
        case 'restic:repair:pack-missing': io.err(`removing not found pack file ${evt.detail.id}\n`); break
        case 'restic:repair:pack-invalid': io.err(`pack file cannot be read: ${evt.detail.id}: ${evt.detail.message}\n`); break
        default:
      }
    }
  })
  io.out(json ? JSON.stringify({ message_type: 'summary', packs_read: res.packsRead, packs_missing: res.packsMissing, packs_invalid: res.packsInvalid, indexes_removed: res.indexesRemoved, indexes_written: res.indexesWritten }) + '\n' : `read ${res.packsRead} pack(s); wrote ${res.indexesWritten} index file(s), removed ${res.indexesRemoved} old one(s)\n`)
  return 0
}

const command: ResticCommand = {
  name: 'repair',
  usage: `  repair index|snapshots        index: rebuild the index from the packs (--read-all-packs);
                                snapshots: rewrite snapshots whose trees miss blobs (--forget, -n)`,
  options: { 'read-all-packs': { type: 'boolean' }, forget: { type: 'boolean' }, 'dry-run': { type: 'boolean', short: 'n' } },
  async run (ctx) {
    const what = ctx.args[0]
    if (what === 'index') return await runRepairIndex(ctx)
    if (what === 'snapshots') {
      const { r, repo, args, values, filter, signal } = ctx
      const res = await r.repairSnapshots(repo, { filter, snapshots: args.slice(1), forget: flag(values, 'forget'), dryRun: flag(values, 'dry-run'), signal, onProgress: rewriteReporter(ctx) })
      printRewrite(ctx, res, flag(values, 'dry-run'))
      return 0
    }
    throw new InvalidInputError(`repair needs what to repair: \`repair index\` or \`repair snapshots\`${what === undefined ? '' : `, not "${what}"`}.`)
  }
}
export default command
