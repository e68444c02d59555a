import { resolve } from 'node:path'
import { InvalidInputError } from '../../../core/errors.js'
import { isIpfsRepoUrl } from '../../restic-ipfs/cli-options.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'export',
  usage: '  export <dir>                  write an ipns:// or ipfs:// repository out as a plain restic folder',
  opensRepo: false,
  async run ({ repoUrl, backend, args, io, json, signal }) {
    if (!isIpfsRepoUrl(repoUrl)) throw new InvalidInputError('export copies a repository stored on IPFS: use --repo ipns://<name> or --repo ipfs://<cid>.')
    const dir = args[0]
    if (dir === undefined) throw new InvalidInputError('give the folder to export to: cairn restic export --repo ipns://… <dir>')
    const { exportRepo } = await import('../../restic-ipfs/index.js')
    const result = await exportRepo(backend, resolve(io.cwd, dir), { signal })
    io.out(json ? JSON.stringify({ message_type: 'exported', files: result.files, bytes: result.bytes, target: dir }) + '\n' : `exported ${result.files} files (${result.bytes} bytes) to ${dir}\n`)
    return 0
  }
}
export default command
