import { InvalidInputError } from '../../../core/errors.js'
import { flag, list, splitTags, str } from './context.js'
import type { ResticCommand } from './context.js'
import type { Compression } from '../../../restic/index.js'

const COMPRESSION = ['auto', 'max', 'off'] as const

const command: ResticCommand = {
  name: 'backup',
  usage: `  backup <path>...              back up files and directories (-e/--exclude <pattern>, --iexclude,
                                --exclude-file, --iexclude-file, --exclude-caches, --exclude-if-present
                                <name[:header]>, -x/--one-file-system, --files-from <file>,
                                --files-from-verbatim, --files-from-raw, -n/--dry-run,
                                --compression auto|max|off, --skip-if-unchanged)`,
  options: {
    exclude: { type: 'string', short: 'e', multiple: true },
    iexclude: { type: 'string', multiple: true },
    'exclude-file': { type: 'string', multiple: true },
    'iexclude-file': { type: 'string', multiple: true },
    'exclude-caches': { type: 'boolean' },
    'exclude-if-present': { type: 'string', multiple: true },
    'one-file-system': { type: 'boolean', short: 'x' },
    'files-from': { type: 'string', multiple: true },
    'files-from-verbatim': { type: 'string', multiple: true },
    'files-from-raw': { type: 'string', multiple: true },
    'dry-run': { type: 'boolean', short: 'n' },
    compression: { type: 'string' },
    'skip-if-unchanged': { type: 'boolean' }
  },
  async run ({ r, repo, args, values, io, json, host, user, signal }) {
    const compression = (str(values, 'compression') ?? io.env.RESTIC_COMPRESSION ?? 'auto') as Compression
    if (!COMPRESSION.includes(compression)) throw new InvalidInputError(`--compression must be auto, max or off, not "${compression}".`)
    const { FsSource, existingTargets } = await import('../../restic/fs-source.js')
    const { buildReject } = await import('../../restic/excludes.js')
    const { readTargetLists } = await import('../../restic/files-from.js')
    const warn = (msg: string): void => { io.err(`Warning: ${msg}\n`) }
    const listed = await readTargetLists({ filesFrom: list(values, 'files-from'), verbatim: list(values, 'files-from-verbatim'), raw: list(values, 'files-from-raw') }, io.cwd, warn)
    const all = [...listed, ...args]
    if (all.length === 0) throw new InvalidInputError('nothing to back up: give at least one path (or --files-from <file>).')
    const hostName = list(values, 'host')[0] ?? host
    // As restic 0.14: a missing target is skipped with a warning (the exit code stays 0); none left is fatal.
    const targets = await existingTargets(all, io.cwd, { onMissing: (t) => { io.err(`${t} does not exist, skipping\n`) } })
    const reject = await buildReject({
      exclude: list(values, 'exclude'),
      iexclude: list(values, 'iexclude'),
      excludeFile: list(values, 'exclude-file'),
      iexcludeFile: list(values, 'iexclude-file'),
      excludeCaches: flag(values, 'exclude-caches'),
      excludeIfPresent: list(values, 'exclude-if-present'),
      oneFileSystem: flag(values, 'one-file-system')
    }, targets, io.cwd, io.env, warn)
    const dryRun = flag(values, 'dry-run')
    const summary = await r.backup(repo, new FsSource(targets, io.cwd, { reject, warn, stderr: (line) => { io.err(line + '\n') } }), {
      hostname: hostName,
      username: user,
      tags: splitTags(list(values, 'tag')),
      uid: process.getuid?.(),
      gid: process.getgid?.(),
      compression,
      dryRun,
      skipIfUnchanged: flag(values, 'skip-if-unchanged'),
      signal
    })
    for (const e of summary.errors) io.err(`error: ${e.path}: ${e.message}\n`)
    if (json) {
      io.out(JSON.stringify({
        message_type: 'summary',
        files_new: summary.filesNew,
        files_changed: summary.filesChanged,
        files_unmodified: summary.filesUnmodified,
        dirs_new: summary.dirs,
        data_blobs: summary.dataBlobs,
        tree_blobs: summary.treeBlobs,
        data_added: summary.bytesAdded,
        total_files_processed: summary.filesNew + summary.filesChanged + summary.filesUnmodified,
        total_bytes_processed: summary.bytesProcessed,
        // As restic 0.17: no snapshot_id when none was saved; dry_run only when set.
        ...summary.saved ? { snapshot_id: summary.snapshotId } : {},
        ...dryRun ? { dry_run: true } : {}
      }) + '\n')
    } else {
      io.out(`Files: ${summary.filesNew} new, ${summary.filesChanged} changed, ${summary.filesUnmodified} unmodified\n${dryRun ? 'Would add' : 'Added'} to the repository: ${summary.bytesAdded} bytes (${summary.dataBlobs} data blobs, ${summary.treeBlobs} trees)\n`)
      if (!dryRun) io.out(summary.saved ? `snapshot ${summary.snapshotId.slice(0, 8)} saved\n` : 'skipped creating snapshot\n')
    }
    if (summary.errors.length > 0) {
      io.err(`Warning: ${summary.errors.length} file(s) could not be read and are not in the snapshot.\n`)
      return 3 // restic's exit code for "snapshot created, but some files could not be read"
    }
    return 0
  }
}
export default command
