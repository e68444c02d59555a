import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { InvalidInputError } from '../../../core/errors.js'
import { flag, list } from './context.js'
import type { ResticCommand, ResticContext } from './context.js'
import type { RewriteProgressEvents, RewriteResult } from '../../../restic/index.js'

/** restic's verbose lines for a rewrite or repair. */
export function rewriteReporter ({ io }: ResticContext): (evt: RewriteProgressEvents) => void {
  const says = { excluded: 'excluding', 'content-removed': 'removed missing content of file', 'size-fixed': 'fixed incorrect size of file', 'dir-emptied': 'replaced with empty directory:', 'root-unreadable': 'not readable:' } as const
  return (evt) => {
    if (evt.type === 'restic:rewrite:node') io.err(`${says[evt.detail.what]} ${evt.detail.path}\n`)
    if (evt.type === 'restic:rewrite:snapshot') {
      if (evt.detail.saved !== undefined) io.err(`saved new snapshot ${evt.detail.saved.slice(0, 8)}\n`)
      if (evt.detail.removed) io.err(`removed ${evt.detail.saved === undefined ? 'empty' : 'old'} snapshot ${evt.detail.snapshot.slice(0, 8)}\n`)
    }
  }
}

export function printRewrite ({ io, json }: ResticContext, res: RewriteResult, dryRun: boolean): void {
  if (json) { io.out(JSON.stringify({ message_type: 'summary', changed: res.changed, unchanged: res.unchanged, ...dryRun ? { dry_run: true } : {} }) + '\n'); return }
  const n = res.changed.length
  io.out(n === 0 ? `no snapshots ${dryRun ? 'would be' : 'were'} modified\n` : `${dryRun ? 'would modify' : 'modified'} ${n} snapshots\n`)
}

async function patternFiles (files: string[], ctx: ResticContext): Promise<string[]> {
  const { parseExcludeFile } = ctx.r
  const out: string[] = []
  for (const f of files) {
    const text = await readFile(resolve(ctx.io.cwd, f), 'utf8').catch((err: unknown) => { throw new InvalidInputError(`cannot read the exclude file ${f}: ${(err as Error).message}`) })
    out.push(...parseExcludeFile(text, ctx.io.env))
  }
  return out
}

const command: ResticCommand = {
  name: 'rewrite',
  usage: `  rewrite [<snapshot>...]       save snapshots again without the paths -e/--exclude, --iexclude,
                                --exclude-file, --iexclude-file match (--forget: remove the old ones; -n)`,
  options: {
    exclude: { type: 'string', short: 'e', multiple: true },
    iexclude: { type: 'string', multiple: true },
    'exclude-file': { type: 'string', multiple: true },
    'iexclude-file': { type: 'string', multiple: true },
    forget: { type: 'boolean' },
    'dry-run': { type: 'boolean', short: 'n' }
  },
  async run (ctx) {
    const { r, repo, args, values, filter, signal } = ctx
    const excludes = [...list(values, 'exclude'), ...await patternFiles(list(values, 'exclude-file'), ctx)]
    const iexcludes = [...list(values, 'iexclude'), ...await patternFiles(list(values, 'iexclude-file'), ctx)]
    if (excludes.length + iexcludes.length === 0) throw new InvalidInputError('rewrite needs something to exclude: --exclude <pattern>, --iexclude, --exclude-file or --iexclude-file.')
    const a = r.excludeMatcher(excludes, false, 'exclude')
    const b = r.excludeMatcher(iexcludes, true, 'iexclude')
    const dryRun = flag(values, 'dry-run')
    const res = await r.rewriteExclude(repo, (p) => a(p) || b(p), { filter, snapshots: args, forget: flag(values, 'forget'), dryRun, signal, onProgress: rewriteReporter(ctx) })
    printRewrite(ctx, res, dryRun)
    return 0
  }
}
export default command
