import { list } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'recover',
  usage: '  recover                       save a snapshot /recover of every tree no snapshot references',
  async run ({ r, repo, values, io, json, host, signal }) {
    const res = await r.recover(repo, { hostname: list(values, 'host')[0] ?? host, signal })
    if (json) io.out(JSON.stringify({ message_type: 'summary', roots: res.roots, ...res.snapshotId !== undefined ? { snapshot_id: res.snapshotId } : {} }) + '\n')
    else {
      io.out(`found ${res.roots.length} unreferenced roots\n`)
      io.out(res.snapshotId === undefined ? 'no snapshot to write.\n' : `saved new snapshot ${res.snapshotId.slice(0, 8)}\n`)
    }
    return 0
  }
}
export default command
