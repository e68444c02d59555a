/**
 * `cairn restic <init|backup|snapshots|ls|restore|check|forget|prune|key>`: the restic engine on
 * the command line, with restic's flag names and environment variables.
 */
import { readFile } from 'node:fs/promises'
import { hostname, userInfo } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InvalidInputError } from '../../../core/errors.js'
import { showName } from '../../../core/names.js'
import { IPFS_REPO_FLAGS, IPFS_REPO_USAGE, ipfsRepoOptions, isIpfsRepoUrl } from '../../restic-ipfs/cli-options.js'
import type { Command, CommandIO } from '../command.js'
import type { Backend, Node } from '../../../restic/index.js'
import type * as ResticModule from '../../../restic/index.js'

const USAGE = `Usage: cairn restic <command> [options]

Commands:
  init                          create a repository (version 2)
  backup <path>...              back up files and directories
  snapshots                     list snapshots
  ls <snapshot>                 list the files in a snapshot
  restore <snapshot>[:<path>]   restore a snapshot (or a subfolder/file) to --target
  check                         check the repository (--read-data: every blob)
  forget                        remove snapshots by policy (--keep-last N, --keep-daily N, ...)
  prune                         remove data no snapshot uses
  key list|add|remove <id>      manage passwords
  unlock                        remove stale locks: older than 30 minutes, or of a process on this
                                host that no longer runs (--remove-all: every lock)
  export <dir>                  write an ipns:// or ipfs:// repository out as a plain restic folder

<snapshot> is an ID, a unique ID prefix, or "latest".

Options:
  -r, --repo <dir|rest:URL|ipns://name|ipfs://cid>
                                repository (or RESTIC_REPOSITORY). An ipns:// repository is
                                republished under its name when the command ends.
  -p, --password-file <file>    read the password from a file (or RESTIC_PASSWORD_FILE / RESTIC_PASSWORD)
      --json                    machine-readable output
  -H, --host <name>             backup: host name to record; filters: only this host
      --tag <a,b>               backup: tags to add; filters: only snapshots with these tags
      --path <path>             filters: only snapshots with this path
  -t, --target <dir>            restore: where to write
      --read-data               check: read and verify every pack
      --keep-last/--keep-hourly/--keep-daily/--keep-weekly/--keep-monthly/--keep-yearly <n>
      --keep-tag <a,b>          forget: always keep snapshots with these tags
      --prune                   forget: prune afterwards
  -n, --dry-run                 forget/prune: only show what would happen
      --new-password-file <f>   key add: the new password
      --repository-version <n>  init: 1 or 2 (default 2)
${IPFS_REPO_USAGE}
`

const OPTIONS = {
  repo: { type: 'string', short: 'r' },
  'password-file': { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  host: { type: 'string', short: 'H', multiple: true },
  tag: { type: 'string', multiple: true },
  path: { type: 'string', multiple: true },
  target: { type: 'string', short: 't' },
  'read-data': { type: 'boolean' },
  'keep-last': { type: 'string' },
  'keep-hourly': { type: 'string' },
  'keep-daily': { type: 'string' },
  'keep-weekly': { type: 'string' },
  'keep-monthly': { type: 'string' },
  'keep-yearly': { type: 'string' },
  'keep-tag': { type: 'string', multiple: true },
  prune: { type: 'boolean' },
  'dry-run': { type: 'boolean', short: 'n' },
  'new-password-file': { type: 'string' },
  'repository-version': { type: 'string' },
  'remove-all': { type: 'boolean' },
  ...IPFS_REPO_FLAGS,
  help: { type: 'boolean', short: 'h' }
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS, allowPositionals: true }>>['values']

async function readPassword (file: string | undefined, io: CommandIO, what = 'password'): Promise<string> {
  const path = file ?? io.env.RESTIC_PASSWORD_FILE
  if (path !== undefined && path !== '') {
    const text = await readFile(resolve(io.cwd, path), 'utf8').catch((err: unknown) => {
      throw new InvalidInputError(`cannot read the ${what} file ${path}: ${(err as Error).message}`)
    })
    return text.replace(/\r?\n$/, '')
  }
  if (io.env.RESTIC_PASSWORD !== undefined) return io.env.RESTIC_PASSWORD
  throw new InvalidInputError(`no ${what} given: use --password-file <file>, or set RESTIC_PASSWORD_FILE or RESTIC_PASSWORD.`)
}

/** One node as restic 0.14's `ls --json` prints it: size for regular files only (0 included), mode and permissions when set. */
function lsNodeJson (node: Node, path: string, modeString: (mode: number) => string): Record<string, unknown> {
  return {
    name: node.name,
    type: node.type,
    path,
    uid: node.uid,
    gid: node.gid,
    ...(node.type === 'file' ? { size: node.size ?? 0 } : {}),
    ...(node.mode !== undefined && node.mode !== 0 ? { mode: node.mode } : {}),
    permissions: modeString(node.mode ?? 0),
    mtime: node.mtime,
    atime: node.atime,
    ctime: node.ctime,
    struct_type: 'node'
  }
}

/** restic's warning for a snapshot file it leaves out of a listing. */
function skipped (io: CommandIO): (id: string, err: Error) => void {
  return (id, err) => { io.err(`could not load snapshot ${id.slice(0, 8)}: ${err.message}\n`) }
}

function int (v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < -1) throw new InvalidInputError(`--${flag} needs a whole number, got "${v}".`)
  return n
}

function splitTags (v: string[] | undefined): string[] {
  return (v ?? []).flatMap(t => t.split(',')).filter(t => t !== '')
}

const command: Command = {
  name: 'restic',
  summary: 'Back up and restore with restic repositories (compatible with restic 0.14+).',
  usage: USAGE,
  async run (argv, io) {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
    const [sub, ...args] = positionals
    if (values.help === true || sub === undefined) { io.out(USAGE); return sub === undefined && values.help !== true ? 2 : 0 }
    const r = await import('../../../restic/index.js')
    const { LocalBackend } = await import('../../restic/local-backend.js')
    const repoArg = values.repo ?? io.env.RESTIC_REPOSITORY
    if (repoArg === undefined || repoArg === '') throw new InvalidInputError('no repository given: use -r/--repo <dir>, or set RESTIC_REPOSITORY.')
    if (isIpfsRepoUrl(repoArg)) {
      // A repository on IPFS: open it through a node on the given network; closing it flushes,
      // pins the new root and republishes the name.
      const { withIpfsRepo, exportRepo } = await import('../../restic-ipfs/index.js')
      const options = await ipfsRepoOptions(values, io, {
        createIfMissing: sub === 'init',
        onProgress: (evt) => {
          if (evt.type === 'restic-ipfs:read:stalled') io.err(`no block of ${evt.detail.path} arrived for a while (try ${evt.detail.attempt}, ${evt.detail.bytesRead} bytes read): asking the peers again\n`)
        }
      })
      return await withIpfsRepo(repoArg, options, async ({ backend }) => {
        if (sub === 'export') {
          const dir = args[0]
          if (dir === undefined) throw new InvalidInputError('give the folder to export to: cairn restic export --repo ipns://… <dir>')
          const result = await exportRepo(backend, resolve(io.cwd, dir), { signal: io.signal })
          io.out(values.json === true ? JSON.stringify({ message_type: 'exported', files: result.files, bytes: result.bytes, target: dir }) + '\n' : `exported ${result.files} files (${result.bytes} bytes) to ${dir}\n`)
          return 0
        }
        return await runWithBackend(r, backend, sub, args, values, io)
      })
    }
    if (sub === 'export') throw new InvalidInputError('export copies a repository stored on IPFS: use --repo ipns://<name> or --repo ipfs://<cid>.')
    const backend = repoArg.startsWith('rest:')
      ? new r.RestBackend({ url: repoArg.slice(5) })
      : new LocalBackend(resolve(io.cwd, repoArg.replace(/^local:/, '')))
    return await runWithBackend(r, backend, sub, args, values, io)
  }
}

async function runWithBackend (r: Restic, backend: Backend, sub: string, args: string[], values: Values, io: CommandIO): Promise<number> {
  {
    const signal = io.signal
    const host = hostname()
    const user = (() => { try { return userInfo().username } catch { return '' } })()
    const json = values.json === true
    const filter = { hosts: values.host, tags: values.tag, paths: values.path }

    if (sub === 'init') {
      const version = values['repository-version'] === undefined || values['repository-version'] === 'stable' || values['repository-version'] === 'latest' ? 2 : int(values['repository-version'], 'repository-version')
      if (version !== 1 && version !== 2) throw new InvalidInputError('--repository-version must be 1 or 2.')
      const repo = await r.Repository.init(backend, { password: await readPassword(values['password-file'], io), version, hostname: host, username: user, signal })
      io.out(json ? JSON.stringify({ message_type: 'initialized', id: repo.config.id, repository: backend.location }) + '\n' : `created restic repository ${repo.config.id.slice(0, 10)} at ${backend.location}\n`)
      return 0
    }

    const { processLockHolder } = await import('../../restic/lock-holder.js')
    const repo = await r.Repository.open(backend, { password: await readPassword(values['password-file'], io), lockHolder: processLockHolder(), signal })
    switch (sub) {
      case 'backup': return await runBackup(r, repo, args, values, io, host, user)
      case 'snapshots': {
        const snaps = await r.listSnapshots(repo, filter, { signal, onSkipped: skipped(io) })
        if (json) { io.out(JSON.stringify(snaps.map(s => ({ ...s, short_id: s.id.slice(0, 8) }))) + '\n'); return 0 }
        io.out('ID        Time                 Host        Tags        Paths\n' + '-'.repeat(70) + '\n')
        for (const s of snaps) io.out(`${s.id.slice(0, 8)}  ${s.time.slice(0, 19).replace('T', ' ')}  ${(s.hostname ?? '').padEnd(10)}  ${(s.tags ?? []).join(',').padEnd(10)}  ${s.paths.join('\n' + ' '.repeat(59))}\n`)
        io.out('-'.repeat(70) + `\n${snaps.length} snapshots\n`)
        return 0
      }
      case 'ls': {
        if (args[0] === undefined) throw new InvalidInputError('ls needs a snapshot: an ID, a prefix, or "latest".')
        const snap = await r.findSnapshot(repo, args[0], filter, { signal, onSkipped: skipped(io) })
        await repo.loadIndex({ signal })
        if (json) io.out(JSON.stringify({ ...snap, short_id: snap.id.slice(0, 8), struct_type: 'snapshot' }) + '\n')
        else io.out(`snapshot ${snap.id.slice(0, 8)} of [${snap.paths.join(' ')}] at ${snap.time}:\n`)
        for await (const e of r.walk(repo, snap.tree, { signal })) {
          // Names are shown quoted when they would read as something else ("..", "a/b", a newline):
          // restic 0.14 prints such a node as the path it would clean to (/evil for "../../evil").
          const path = '/' + e.path.map(showName).join('/')
          if (json) io.out(JSON.stringify(lsNodeJson(e.node, path, r.goModeString)) + '\n')
          else io.out(path + '\n')
        }
        return 0
      }
      case 'restore': {
        const ref = args[0]
        if (ref === undefined) throw new InvalidInputError('restore needs a snapshot: an ID, a prefix, or "latest" (optionally ID:subfolder).')
        if (values.target === undefined) throw new InvalidInputError('restore needs --target <dir>.')
        const [id, ...rest] = ref.split(':')
        const snap = await r.findSnapshot(repo, id as string, filter, { signal, onSkipped: skipped(io) })
        const { FsSink } = await import('../../restic/fs-sink.js')
        const target = resolve(io.cwd, values.target)
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
      case 'check': {
        const res = await r.check(repo, { readData: values['read-data'] === true, signal })
        if (json) io.out(JSON.stringify(res) + '\n')
        else {
          for (const h of res.hints) io.out(`hint: ${h}\n`)
          for (const e of res.errors) io.err(`error: ${e}\n`)
          io.out(res.errors.length === 0 ? `no errors were found (${res.packs} packs, ${res.snapshots} snapshots, ${res.trees} trees${values['read-data'] === true ? ', all data read' : ''})\n` : `${res.errors.length} error(s) found\n`)
        }
        if (res.errors.length > 0) throw new r.CheckFailedError(`check found ${res.errors.length} error(s) in ${backend.location}; the first: ${res.errors[0] ?? ''}`)
        return 0
      }
      case 'forget': {
        const policy = {
          last: int(values['keep-last'], 'keep-last'), hourly: int(values['keep-hourly'], 'keep-hourly'), daily: int(values['keep-daily'], 'keep-daily'),
          weekly: int(values['keep-weekly'], 'keep-weekly'), monthly: int(values['keep-monthly'], 'keep-monthly'), yearly: int(values['keep-yearly'], 'keep-yearly'),
          tags: values['keep-tag']
        }
        const groups = await r.forget(repo, policy, { filter, dryRun: values['dry-run'] === true, signal })
        if (json) io.out(JSON.stringify(groups.map(g => ({ host: g.key.hostname, paths: g.key.paths, keep: g.keep.map(s => s.id), remove: g.remove.map(s => s.id) }))) + '\n')
        else for (const g of groups) io.out(`host ${g.key.hostname}, paths [${g.key.paths.join(' ')}]: keep ${g.keep.length}, remove ${g.remove.length}${g.remove.length > 0 ? ' (' + g.remove.map(s => s.id.slice(0, 8)).join(' ') + ')' : ''}\n`)
        if (values.prune === true && values['dry-run'] !== true) return await runPrune(r, repo, values, io)
        return 0
      }
      case 'prune': return await runPrune(r, repo, values, io)
      case 'unlock': {
        const removed = await r.removeLocks(repo, { all: values['remove-all'] === true, signal })
        io.out(json ? JSON.stringify({ message_type: 'unlock', removed }) + '\n' : `removed ${removed.length} lock(s)\n`)
        return 0
      }
      case 'key': {
        const [action, ref] = args
        if (action === 'list' || action === undefined) {
          const keys = await r.listKeys(repo, { signal })
          if (json) io.out(JSON.stringify(keys.map(k => ({ current: k.current, id: k.id, userName: k.username, hostName: k.hostname, created: k.created }))) + '\n')
          else for (const k of keys) io.out(`${k.current ? '*' : ' '}${k.id.slice(0, 8)}  ${k.username}  ${k.hostname}  ${k.created}\n`)
          return 0
        }
        if (action === 'add') {
          const pw = await readPassword(values['new-password-file'], { ...io, env: {} }, 'new password')
          const id = await r.addKey(repo, pw, { hostname: host, username: user, signal })
          io.out(`saved new key as ${id.slice(0, 8)}\n`)
          return 0
        }
        if (action === 'remove') {
          if (ref === undefined) throw new InvalidInputError('key remove needs a key ID (see `cairn restic key list`).')
          io.out(`removed key ${(await r.removeKey(repo, ref, { signal })).slice(0, 8)}\n`)
          return 0
        }
        throw new InvalidInputError(`unknown key action "${action}"; use list, add or remove.`)
      }
      default:
        throw new InvalidInputError(`unknown restic command "${sub}". Run \`cairn restic --help\`.`)
    }
  }
}

type Restic = typeof ResticModule
type Repo = ResticModule.Repository

async function runBackup (r: Restic, repo: Repo, paths: string[], values: Values, io: CommandIO, host: string, user: string): Promise<number> {
  if (paths.length === 0) throw new InvalidInputError('backup needs at least one path.')
  const { FsSource, existingTargets } = await import('../../restic/fs-source.js')
  const hostName = values.host?.[0] ?? host
  // As restic 0.14: a missing target is skipped with a warning (the exit code stays 0); none left is fatal.
  const targets = await existingTargets(paths, io.cwd, { onMissing: (t) => { io.err(`${t} does not exist, skipping\n`) } })
  const summary = await r.backup(repo, new FsSource(targets, io.cwd), {
    hostname: hostName,
    username: user,
    tags: splitTags(values.tag),
    uid: process.getuid?.(),
    gid: process.getgid?.(),
    signal: io.signal
  })
  for (const e of summary.errors) io.err(`error: ${e.path}: ${e.message}\n`)
  if (values.json === true) {
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

async function runPrune (r: Restic, repo: Repo, values: Values, io: CommandIO): Promise<number> {
  const res = await r.prune(repo, { dryRun: values['dry-run'] === true, signal: io.signal })
  io.out(values.json === true ? JSON.stringify(res) + '\n' : `prune: kept ${res.packsKept} packs, repacked ${res.packsRepacked} (${res.blobsRepacked} blobs into ${res.newPacks} packs), removed ${res.packsRemoved} unused and ${res.unreferencedRemoved} unreferenced packs${values['dry-run'] === true ? ' (dry run: nothing changed)' : ''}\n`)
  return 0
}

export default command
