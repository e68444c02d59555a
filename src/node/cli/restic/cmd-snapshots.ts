import { flag, skipped } from './context.js'
import { snapshotTable } from './snapshot-table.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'snapshots',
  usage: '  snapshots                     list snapshots (--compact: ID, time, host and tags only)',
  options: {
    compact: { type: 'boolean', short: 'c' }
  },
  async run ({ r, repo, io, json, values, filter, signal }) {
    // restic sorts each snapshot's paths while grouping (`GroupSnapshots`), for the table and --json alike.
    const snaps = (await r.listSnapshots(repo, filter, { signal, onSkipped: skipped(io) })).map(s => ({ ...s, paths: [...s.paths].sort() }))
    if (json) { io.out(JSON.stringify(snaps.map(s => ({ ...s, short_id: s.id.slice(0, 8) }))) + '\n'); return 0 }
    // restic's table (local times, multi-line cells, a blank line between rows when one has several paths).
    io.out(snapshotTable(snaps, undefined, flag(values, 'compact')))
    return 0
  }
}
export default command
