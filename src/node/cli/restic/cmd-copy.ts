import { resolve } from 'node:path'
import { InvalidInputError } from '../../../core/errors.js'
import { isIpfsRepoUrl, ipfsRepoOptions } from '../../restic-ipfs/cli-options.js'
import { readPassword, str } from './context.js'
import type { ResticCommand, ResticContext } from './context.js'
import type { Backend, Repository } from '../../../restic/index.js'

/** Opens the repository at `url` (a folder, rest:, ipns:// or ipfs://) for the length of `fn`, as `-r` is opened. */
async function withRepoAt<T> (ctx: ResticContext, url: string, password: string, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const { r, io, values } = ctx
  const { processLockHolder } = await import('../../restic/lock-holder.js')
  const open = async (backend: Backend): Promise<T> => await fn(await r.Repository.open(backend, { password, lockHolder: processLockHolder(), signal: ctx.signal }))
  if (isIpfsRepoUrl(url)) {
    const { withIpfsRepo } = await import('../../restic-ipfs/index.js')
    const options = await ipfsRepoOptions(values as Parameters<typeof ipfsRepoOptions>[0], io)
    return await withIpfsRepo(url, options, async ({ backend }) => await open(backend))
  }
  const { LocalBackend } = await import('../../restic/local-backend.js')
  return await open(url.startsWith('rest:') ? new r.RestBackend({ url: url.slice(5) }) : new LocalBackend(resolve(io.cwd, url.replace(/^local:/, ''))))
}

const command: ResticCommand = {
  name: 'copy',
  usage: `  copy [<snapshot>...]          copy snapshots from --from-repo <repo> (--from-password-file <file>)
                                into -r; blobs the target lacks are sealed again under its key`,
  options: {
    'from-repo': { type: 'string' },
    'from-password-file': { type: 'string' }
  },
  async run (ctx) {
    const { r, repo, args, values, io, json, filter, signal } = ctx
    const from = str(values, 'from-repo') ?? io.env.RESTIC_FROM_REPOSITORY
    if (from === undefined || from === '') throw new InvalidInputError('copy needs the source repository: --from-repo <dir|rest:URL|ipns://name> (or RESTIC_FROM_REPOSITORY); -r names the target.')
    const passFile = str(values, 'from-password-file') ?? io.env.RESTIC_FROM_PASSWORD_FILE
    const password = passFile === undefined && io.env.RESTIC_FROM_PASSWORD !== undefined
      ? io.env.RESTIC_FROM_PASSWORD
      : await readPassword(passFile, { ...io, env: {} }, 'source repository password (--from-password-file, RESTIC_FROM_PASSWORD_FILE or RESTIC_FROM_PASSWORD)')
    const res = await withRepoAt(ctx, from, password, async (src) => await r.copy(src, repo, { filter, snapshots: args, signal }))
    if (json) io.out(JSON.stringify({ message_type: 'summary', copied: res.copied, skipped: res.skipped, data_blobs: res.dataBlobs, tree_blobs: res.treeBlobs, data_added: res.bytesAdded }) + '\n')
    else {
      for (const s of res.skipped) io.out(`skipping source snapshot ${s.source.slice(0, 8)}, was already copied to snapshot ${s.copy.slice(0, 8)}\n`)
      for (const c of res.copied) io.out(`snapshot ${c.source.slice(0, 8)} copied as ${c.target.slice(0, 8)}\n`)
      io.out(`copied ${res.copied.length} snapshot(s), skipped ${res.skipped.length}; added ${res.dataBlobs} data and ${res.treeBlobs} tree blobs (${res.bytesAdded} bytes)\n`)
    }
    return 0
  }
}
export default command
