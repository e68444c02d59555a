import { flag } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'check',
  usage: '  check                         check the repository (--read-data: every blob)',
  options: { 'read-data': { type: 'boolean' } },
  async run ({ r, repo, backend, values, io, json, signal }) {
    const readData = flag(values, 'read-data')
    const res = await r.check(repo, { readData, signal })
    if (json) io.out(JSON.stringify(res) + '\n')
    else {
      for (const h of res.hints) io.out(`hint: ${h}\n`)
      for (const e of res.errors) io.err(`error: ${e}\n`)
      io.out(res.errors.length === 0 ? `no errors were found (${res.packs} packs, ${res.snapshots} snapshots, ${res.trees} trees${readData ? ', all data read' : ''})\n` : `${res.errors.length} error(s) found\n`)
    }
    if (res.errors.length > 0) throw new r.CheckFailedError(`check found ${res.errors.length} error(s) in ${backend.location}; the first: ${res.errors[0] ?? ''}`)
    return 0
  }
}
export default command
