import { flag } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'unlock',
  usage: `  unlock                        remove stale locks: older than 30 minutes, or of a process on this
                                host that no longer runs (--remove-all: every lock)`,
  options: { 'remove-all': { type: 'boolean' } },
  async run ({ r, repo, values, io, json, signal }) {
    const removed = await r.removeLocks(repo, { all: flag(values, 'remove-all'), signal })
    io.out(json ? JSON.stringify({ message_type: 'unlock', removed }) + '\n' : `removed ${removed.length} lock(s)\n`)
    return 0
  }
}
export default command
