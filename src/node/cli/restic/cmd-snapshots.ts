import { skipped } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'snapshots',
  usage: '  snapshots                     list snapshots',
  async run ({ r, repo, io, json, filter, signal }) {
    const snaps = await r.listSnapshots(repo, filter, { signal, onSkipped: skipped(io) })
    if (json) { io.out(JSON.stringify(snaps.map(s => ({ ...s, short_id: s.id.slice(0, 8) }))) + '\n'); return 0 }
    io.out('ID        Time                 Host        Tags        Paths\n' + '-'.repeat(70) + '\n')
    for (const s of snaps) io.out(`${s.id.slice(0, 8)}  ${s.time.slice(0, 19).replace('T', ' ')}  ${(s.hostname ?? '').padEnd(10)}  ${(s.tags ?? []).join(',').padEnd(10)}  ${s.paths.join('\n' + ' '.repeat(59))}\n`)
    io.out('-'.repeat(70) + `\n${snaps.length} snapshots\n`)
    return 0
  }
}
export default command
