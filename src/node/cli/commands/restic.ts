/**
 * `cairn restic <command>`: restic's commands on a folder, a REST server, or a repository stored
 * on IPFS (`ipns://…`, `ipfs://…`). Each command is one module in `../restic/`; this file parses
 * the shared flags, opens the repository and hands over.
 */
import { hostname, userInfo } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InvalidInputError } from '../../../core/errors.js'
import { IPFS_REPO_FLAGS, IPFS_REPO_USAGE, ipfsRepoOptions, isIpfsRepoUrl } from '../../restic-ipfs/cli-options.js'
import { RESTIC_COMMANDS } from '../restic/commands.js'
import { list, readPassword, str } from '../restic/context.js'
import { useMasterKey } from '../restic/master-key.js'
import type { Command, CommandIO } from '../command.js'
import type { OptionsConfig, ResticCommand, ResticContext, Values } from '../restic/context.js'
import type { Backend } from '../../../restic/index.js'

const USAGE = `Usage: cairn restic <command> [options]

Commands:
${RESTIC_COMMANDS.map(c => c.usage).join('\n')}

<snapshot> is an ID, a unique ID prefix, or "latest".

Options (every command):
  -r, --repo <dir|rest:URL|ipns://name|ipfs://cid>
                                repository (or RESTIC_REPOSITORY). An ipns:// repository is
                                republished under its name when the command ends, once a
                                --peer keeper pinned the new root (see --no-keeper).
  -p, --password-file <file>    read the password from a file (or RESTIC_PASSWORD_FILE / RESTIC_PASSWORD)
      --json                    machine-readable output
  -H, --host <name>             backup: host name to record; filters: only this host
      --tag <a,b>               backup: tags to add; filters: only snapshots with these tags
      --path <path>             filters: only snapshots with this path
${IPFS_REPO_USAGE}
`

const COMMON: OptionsConfig = {
  repo: { type: 'string', short: 'r' },
  'password-file': { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  host: { type: 'string', short: 'H', multiple: true },
  tag: { type: 'string', multiple: true },
  path: { type: 'string', multiple: true },
  ...IPFS_REPO_FLAGS,
  help: { type: 'boolean', short: 'h' }
}

/** Every command's flags, to find the command's name before its own flags are checked strictly. */
const ALL: OptionsConfig = Object.assign({}, ...RESTIC_COMMANDS.map(c => c.options ?? {}), COMMON) as OptionsConfig

const command: Command = {
  name: 'restic',
  summary: 'Back up and restore with restic repositories (compatible with restic 0.14+).',
  usage: USAGE,
  async run (argv, io) {
    const loose = parseArgs({ args: argv, options: ALL, allowPositionals: true, strict: false })
    const sub = loose.positionals[0]
    if (loose.values.help === true || sub === undefined) { io.out(USAGE); return sub === undefined && loose.values.help !== true ? 2 : 0 }
    const cmd = RESTIC_COMMANDS.find(c => c.name === sub)
    if (cmd === undefined) throw new InvalidInputError(`unknown restic command "${sub}". Run \`cairn restic --help\`.`)
    const { values, positionals } = parseArgs({ args: argv, options: { ...commonFor(cmd), ...cmd.options }, allowPositionals: true, strict: true })
    const args = positionals.slice(1)
    const repoUrl = str(values, 'repo') ?? io.env.RESTIC_REPOSITORY
    if (repoUrl === undefined || repoUrl === '') throw new InvalidInputError('no repository given: use -r/--repo <dir>, or set RESTIC_REPOSITORY.')
    const r = await import('../../../restic/index.js')
    if (isIpfsRepoUrl(repoUrl)) {
      // A repository on IPFS: open it through a node on the given network; closing it flushes,
      // pins the new root and republishes the name.
      const { withIpfsRepo } = await import('../../restic-ipfs/index.js')
      const options = await ipfsRepoOptions(values as Parameters<typeof ipfsRepoOptions>[0], io, {
        createIfMissing: sub === 'init',
        onProgress: (evt) => {
          if (evt.type === 'restic-ipfs:read:stalled') io.err(`no block of ${evt.detail.path} arrived for a while (try ${evt.detail.attempt}, ${evt.detail.bytesRead} bytes read): asking the peers again\n`)
          if (evt.type === 'restic-ipfs:publish:merged') io.err(`another device published ${evt.detail.theirs.toString()} meanwhile: merged (${evt.detail.added} entries added, ${evt.detail.removed} removed) into ${evt.detail.root.toString()}\n`)
        }
      })
      return await withIpfsRepo(repoUrl, options, async ({ backend }) => await runCommand(cmd, backend, repoUrl, args, values, io))
    }
    const { LocalBackend } = await import('../../restic/local-backend.js')
    const backend = repoUrl.startsWith('rest:')
      ? new r.RestBackend({ url: repoUrl.slice(5) })
      : new LocalBackend(resolve(io.cwd, repoUrl.replace(/^local:/, '')))
    return await runCommand(cmd, backend, repoUrl, args, values, io)
  }
}

async function runCommand (cmd: ResticCommand, backend: Backend, repoUrl: string, args: string[], values: Values, io: CommandIO): Promise<number> {
  const r = await import('../../../restic/index.js')
  const ctx: Omit<ResticContext, 'repo'> = {
    r,
    repoUrl,
    backend,
    args,
    values,
    io,
    json: values.json === true,
    filter: { hosts: optional(list(values, 'host')), tags: optional(list(values, 'tag')), paths: optional(list(values, 'path')) },
    host: hostname(),
    user: (() => { try { return userInfo().username } catch { return '' } })(),
    signal: io.signal
  }
  if (cmd.opensRepo === false) return await cmd.run(ctx as ResticContext)
  const { processLockHolder } = await import('../../restic/lock-holder.js')
  const repo = await r.Repository.open(backend, { password: await readPassword(str(values, 'password-file'), io), lockHolder: processLockHolder(), signal: io.signal })
  await useMasterKey(backend, repo.key, io)
  return await cmd.run({ ...ctx, repo })
}

/** The shared flags, minus the short names the command gives its own flags (forget's -H is --keep-hourly, as in restic). */
function commonFor (cmd: ResticCommand): OptionsConfig {
  const own = new Set(Object.values(cmd.options ?? {}).map(o => o.short))
  return Object.fromEntries(Object.entries(COMMON).map(([name, o]) => {
    if (o.short === undefined || !own.has(o.short)) return [name, o]
    const { short: _short, ...rest } = o
    return [name, rest]
  }))
}

function optional (v: string[]): string[] | undefined {
  return v.length === 0 ? undefined : v
}

export default command
