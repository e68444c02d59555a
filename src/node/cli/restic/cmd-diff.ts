import { InvalidInputError } from '../../../core/errors.js'
import { findSnapshot, flag } from './context.js'
import { formatBytes, left5 } from './select.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'diff',
  usage: '  diff <snapshot> <snapshot>    what changed between two snapshots (--metadata: also U for metadata)',
  options: { metadata: { type: 'boolean' } },
  async run (ctx) {
    const { r, repo, args, values, io, json, signal } = ctx
    if (args.length !== 2) throw new InvalidInputError('diff needs two snapshots: IDs, prefixes, or "latest".')
    const [a, b] = args as [string, string]
    // restic resolves both IDs without the filters
    const from = await findSnapshot({ ...ctx, filter: {} }, a)
    const to = await findSnapshot({ ...ctx, filter: {} }, b)
    if (!json) io.out(`comparing snapshot ${from.id.slice(0, 8)} to ${to.id.slice(0, 8)}:\n\n`)
    for await (const m of r.diff(repo, from, to, { metadata: flag(values, 'metadata'), names: [a, b], signal })) {
      if (json) { io.out(JSON.stringify(m) + '\n'); continue }
      if (m.message_type === 'change') { io.out(`${left5(m.modifier)}${m.path}\n`); continue }
      const n = (x: number): string => String(x).padStart(5)
      io.out('\n' +
        `Files:       ${n(m.added.files)} new, ${n(m.removed.files)} removed, ${n(m.changed_files)} changed\n` +
        `Dirs:        ${n(m.added.dirs)} new, ${n(m.removed.dirs)} removed\n` +
        `Others:      ${n(m.added.others)} new, ${n(m.removed.others)} removed\n` +
        `Data Blobs:  ${n(m.added.data_blobs)} new, ${n(m.removed.data_blobs)} removed\n` +
        `Tree Blobs:  ${n(m.added.tree_blobs)} new, ${n(m.removed.tree_blobs)} removed\n` +
        `  Added:   ${left5(formatBytes(m.added.bytes))}\n` +
        `  Removed: ${left5(formatBytes(m.removed.bytes))}\n`)
    }
    return 0
  }
}
export default command
