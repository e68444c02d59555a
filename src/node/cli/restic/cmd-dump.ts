import { InvalidInputError } from '../../../core/errors.js'
import { findSnapshot, str } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'dump',
  usage: '  dump <snapshot> <path>        a file\'s bytes to stdout, a folder ("/" for all) as a tar (--archive tar|zip)',
  options: { archive: { type: 'string', short: 'a' } },
  async run (ctx) {
    const { r, repo, args, values, io, signal } = ctx
    if (args.length !== 2) throw new InvalidInputError('dump needs a snapshot and a path: `cairn restic dump latest /path/in/snapshot > out`.')
    const archive = str(values, 'archive') ?? 'tar'
    if (archive !== 'tar' && archive !== 'zip') throw new InvalidInputError(`unknown archive format "${archive}"; use tar or zip.`)
    const write = io.write
    if (write === undefined) throw new InvalidInputError('dump writes bytes and needs a standard output that takes them.')
    const snap = await findSnapshot(ctx, args[0] as string)
    const target = await r.resolveDump(repo, snap, args[1] as string, { signal })
    if (target.kind === 'tree' && io.stdoutIsTTY === true) throw new InvalidInputError('stdout is the terminal, please redirect output (a folder is written as a tar).')
    const chunks = target.kind === 'file'
      ? r.dumpFile(repo, target.node, { signal })
      : archive === 'zip' ? r.dumpZip(repo, target.nodes, target.root, { signal }) : r.dumpTar(repo, target.nodes, target.root, { signal })
    for await (const chunk of chunks) await write(chunk)
    return 0
  }
}
export default command
