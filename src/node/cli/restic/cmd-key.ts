import { InvalidInputError } from '../../../core/errors.js'
import { newKeyScrypt, readPassword, str } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'key',
  usage: '  key list|add|remove <id>|passwd  manage passwords (add, passwd: --new-password-file <file>)',
  options: { 'new-password-file': { type: 'string' } },
  async run (ctx) {
    const { r, repo, args, values, io, json, host, user, signal } = ctx
    const [action, ref] = args
    if (action === 'list' || action === undefined) {
      const keys = await r.listKeys(repo, { signal })
      if (json) io.out(JSON.stringify(keys.map(k => ({ current: k.current, id: k.id, userName: k.username, hostName: k.hostname, created: k.created }))) + '\n')
      else for (const k of keys) io.out(`${k.current ? '*' : ' '}${k.id.slice(0, 8)}  ${k.username}  ${k.hostname}  ${k.created}\n`)
      return 0
    }
    if (action === 'add') {
      const pw = await readPassword(str(values, 'new-password-file'), { ...io, env: {} }, 'new password')
      const id = await r.addKey(repo, pw, { scrypt: newKeyScrypt(ctx), hostname: host, username: user, signal })
      io.out(`saved new key as ${id.slice(0, 8)}\n`)
      return 0
    }
    if (action === 'remove') {
      if (ref === undefined) throw new InvalidInputError('key remove needs a key ID (see `cairn restic key list`).')
      io.out(`removed key ${(await r.removeKey(repo, ref, { signal })).slice(0, 8)}\n`)
      return 0
    }
    if (action === 'passwd') {
      const pw = await readPassword(str(values, 'new-password-file'), { ...io, env: {} }, 'new password')
      const { id } = await r.changePassword(repo, pw, { scrypt: newKeyScrypt(ctx), hostname: host, username: user, signal })
      io.out(`saved new key as ${id.slice(0, 8)}; the old key ${repo.keyId.slice(0, 8)} was removed\n`)
      return 0
    }
    throw new InvalidInputError(`unknown key action "${action}"; use list, add, remove or passwd.`)
  }
}
export default command
