import { resolve } from 'node:path'
import { InvalidInputError } from '../../../core/errors.js'
import { findSnapshot, str } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'restore',
  usage: '  restore <snapshot>[:<path>]   restore a snapshot (or a subfolder/file) to --target',
  options: { target: { type: 'string', short: 't' } },
  async run (ctx) {
    const { r, repo, args, values, io, json, signal } = ctx
    const ref = args[0]
    if (ref === undefined) throw new InvalidInputError('restore needs a snapshot: an ID, a prefix, or "latest" (optionally ID:subfolder).')
    const targetArg = str(values, 'target')
    if (targetArg === undefined) throw new InvalidInputError('restore needs --target <dir>.')
    const [id, ...rest] = ref.split(':')
    const snap = await findSnapshot(ctx, id as string)
    const { FsSink } = await import('../../restic/fs-sink.js')
    const target = resolve(io.cwd, targetArg)
    // Like restic: each failure is reported as it happens and the rest is restored; at the end
    // RestoreIncompleteError lists them and the command exits 1 (restic's "There were N errors").
    const res = await r.restore(repo, snap, new FsSink(target), {
      signal,
      path: rest.length > 0 ? rest.join(':') : undefined,
      onProgress: (evt) => { if (evt.type === 'restic:restore:error') io.err(`ignoring error for ${evt.detail.path}: ${evt.detail.message}\n`) }
    })
    io.out(json ? JSON.stringify({ message_type: 'summary', files_restored: res.files, dirs_restored: res.dirs, bytes_restored: res.bytes }) + '\n' : `restored snapshot ${snap.id.slice(0, 8)} to ${target}: ${res.files} files, ${res.dirs} dirs, ${res.bytes} bytes\n`)
    return 0
  }
}
export default command
