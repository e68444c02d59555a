import { resolve } from 'node:path'
import { InvalidInputError } from '../../../core/errors.js'
import { findSnapshot, flag, list, str } from './context.js'
import type { ResticCommand } from './context.js'
import type { OverwriteMode } from '../../../restic/index.js'

const OVERWRITE: readonly OverwriteMode[] = ['always', 'if-changed', 'if-newer', 'never']

const command: ResticCommand = {
  name: 'restore',
  usage: `  restore <snapshot>[:<path>]   restore a snapshot (or a subfolder/file) to --target (-i/--include,
                                --iinclude, -e/--exclude, --iexclude <pattern>; --verify;
                                --overwrite always|if-changed|if-newer|never)`,
  options: {
    target: { type: 'string', short: 't' },
    include: { type: 'string', short: 'i', multiple: true },
    iinclude: { type: 'string', multiple: true },
    exclude: { type: 'string', short: 'e', multiple: true },
    iexclude: { type: 'string', multiple: true },
    verify: { type: 'boolean' },
    overwrite: { type: 'string' }
  },
  async run (ctx) {
    const { r, repo, args, values, io, json, signal } = ctx
    const ref = args[0]
    if (ref === undefined) throw new InvalidInputError('restore needs a snapshot: an ID, a prefix, or "latest" (optionally ID:subfolder).')
    const targetArg = str(values, 'target')
    if (targetArg === undefined) throw new InvalidInputError('restore needs --target <dir>.')
    const overwrite = str(values, 'overwrite') ?? 'always'
    if (!OVERWRITE.includes(overwrite as OverwriteMode)) throw new InvalidInputError(`invalid overwrite behavior "${overwrite}": use always, if-changed, if-newer or never.`)
    const select = r.patternSelector({ include: list(values, 'include'), iinclude: list(values, 'iinclude'), exclude: list(values, 'exclude'), iexclude: list(values, 'iexclude') })
    const verify = flag(values, 'verify')
    const [id, ...rest] = ref.split(':')
    const snap = await findSnapshot(ctx, id as string)
    const { FsSink } = await import('../../restic/fs-sink.js')
    const target = resolve(io.cwd, targetArg)
    // Like restic: each failure is reported as it happens and the rest is restored; at the end
    // RestoreIncompleteError lists them and the command exits 1 (restic's "There were N errors").
    const res = await r.restore(repo, snap, new FsSink(target, { warn: (msg) => { io.err(`Warning: ${msg}\n`) } }), {
      signal,
      path: rest.length > 0 ? rest.join(':') : undefined,
      select,
      overwrite: overwrite as OverwriteMode,
      verify,
      onProgress: (evt) => {
        if (evt.type === 'restic:restore:error') io.err(`ignoring error for ${evt.detail.path}: ${evt.detail.message}\n`)
        if (evt.type === 'restic:restore:verified' && !evt.detail.ok) io.err(`verify: ${evt.detail.path}: ${evt.detail.message ?? ''}\n`)
      }
    })
    io.out(json
      ? JSON.stringify({ message_type: 'summary', files_restored: res.files, files_skipped: res.skipped, dirs_restored: res.dirs, bytes_restored: res.bytes, ...verify ? { files_verified: res.verified } : {} }) + '\n'
      : `restored snapshot ${snap.id.slice(0, 8)} to ${target}: ${res.files} files, ${res.dirs} dirs, ${res.bytes} bytes${res.skipped > 0 ? `, ${res.skipped} skipped` : ''}\n${verify ? `finished verifying ${res.verified} files in ${target}\n` : ''}`)
    return 0
  }
}
export default command
