import { InvalidInputError } from '../../../core/errors.js'
import { list, splitTags } from './context.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'backup',
  usage: '  backup <path>...              back up files and directories',
  async run ({ r, repo, args, values, io, json, host, user, signal }) {
    if (args.length === 0) throw new InvalidInputError('backup needs at least one path.')
    const { FsSource, existingTargets } = await import('../../restic/fs-source.js')
    const hostName = list(values, 'host')[0] ?? host
    // As restic 0.14: a missing target is skipped with a warning (the exit code stays 0); none left is fatal.
    const targets = await existingTargets(args, io.cwd, { onMissing: (t) => { io.err(`${t} does not exist, skipping\n`) } })
    const summary = await r.backup(repo, new FsSource(targets, io.cwd), {
      hostname: hostName,
      username: user,
      tags: splitTags(list(values, 'tag')),
      uid: process.getuid?.(),
      gid: process.getgid?.(),
      signal
    })
    for (const e of summary.errors) io.err(`error: ${e.path}: ${e.message}\n`)
    if (json) {
      io.out(JSON.stringify({ message_type: 'summary', files_new: summary.filesNew, files_changed: summary.filesChanged, files_unmodified: summary.filesUnmodified, dirs_new: summary.dirs, data_blobs: summary.dataBlobs, tree_blobs: summary.treeBlobs, data_added: summary.bytesAdded, total_bytes_processed: summary.bytesProcessed, snapshot_id: summary.snapshotId }) + '\n')
    } else {
      io.out(`Files: ${summary.filesNew} new, ${summary.filesChanged} changed, ${summary.filesUnmodified} unmodified\nAdded to the repository: ${summary.bytesAdded} bytes (${summary.dataBlobs} data blobs, ${summary.treeBlobs} trees)\nsnapshot ${summary.snapshotId.slice(0, 8)} saved\n`)
    }
    if (summary.errors.length > 0) {
      io.err(`Warning: ${summary.errors.length} file(s) could not be read and are not in the snapshot.\n`)
      return 3 // restic's exit code for "snapshot created, but some files could not be read"
    }
    return 0
  }
}
export default command
