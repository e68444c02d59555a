import { InvalidInputError } from '../../../core/errors.js'
import { int, newKeyScrypt, readPassword, str } from './context.js'
import { useMasterKey } from './master-key.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'init',
  usage: '  init                          create a repository (version 2; --repository-version 1|2)',
  options: { 'repository-version': { type: 'string' } },
  opensRepo: false,
  async run (ctx) {
    const { r, backend, values, io, json, host, user, signal } = ctx
    const v = str(values, 'repository-version')
    const version = v === undefined || v === 'stable' || v === 'latest' ? 2 : int(v, 'repository-version')
    if (version !== 1 && version !== 2) throw new InvalidInputError('--repository-version must be 1 or 2.')
    const repo = await r.Repository.init(backend, { password: await readPassword(str(values, 'password-file'), io), version, scrypt: newKeyScrypt(ctx), hostname: host, username: user, signal })
    await useMasterKey(backend, repo.key, io)
    io.out(json ? JSON.stringify({ message_type: 'initialized', id: repo.config.id, repository: backend.location }) + '\n' : `created restic repository ${repo.config.id.slice(0, 10)} at ${backend.location}\n`)
    return 0
  }
}
export default command
