import { InvalidInputError } from '../../../core/errors.js'
import { flag, str } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'check',
  usage: `  check                         check the repository (--read-data: every blob; --read-data-subset
                                n/t | x% | size: only that part of the packs)`,
  options: { 'read-data': { type: 'boolean' }, 'read-data-subset': { type: 'string' } },
  async run ({ r, repo, backend, values, io, json, signal }) {
    const subsetArg = str(values, 'read-data-subset')
    if (subsetArg !== undefined && flag(values, 'read-data')) throw new InvalidInputError('check flags --read-data and --read-data-subset cannot be used together.')
    const readDataSubset = subsetArg === undefined ? undefined : r.parseReadDataSubset(subsetArg)
    const readData = flag(values, 'read-data') || readDataSubset !== undefined
    const res = await r.check(repo, { readData: flag(values, 'read-data'), readDataSubset, signal })
    if (json) io.out(JSON.stringify(res) + '\n')
    else {
      for (const h of res.hints) io.out(`hint: ${h}\n`)
      for (const e of res.errors) io.err(`error: ${e}\n`)
      io.out(res.errors.length === 0 ? `no errors were found (${res.packs} packs, ${res.snapshots} snapshots, ${res.trees} trees${readData ? `, data of ${res.packsRead} pack(s) read` : ''})\n` : `${res.errors.length} error(s) found\n`)
    }
    if (res.errors.length > 0) throw new r.CheckFailedError(`check found ${res.errors.length} error(s) in ${backend.location}; the first: ${res.errors[0] ?? ''}`)
    return 0
  }
}
export default command
