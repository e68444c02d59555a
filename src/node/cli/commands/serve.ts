import { parseArgs } from 'node:util'
import { InvalidInputError } from '../../../core/errors.js'
import { IPFS_REPO_FLAGS, ipfsRepoOptions } from '../../restic-ipfs/cli-options.js'
import type { Command, CommandIO } from '../command.js'
import type { IpfsBackend } from '../../../ipfs/restic-backend/index.js'

const usage = `Usage: cairn serve restic --repo ipns://<name>|ipfs://<cid> --routing URL --peer MULTIADDR
                          [--listen 127.0.0.1:8000] [--key NAME] [--pass-file FILE] [--idle MS]
                          [--init] [--no-keeper] [--allow-origin ORIGIN]... [--json]

Serves a restic repository stored on IPFS over restic's REST protocol, so that real restic can use
it:  restic -r rest:http://127.0.0.1:8000/ snapshots

  --repo URL        ipns://<name> (resolved through --routing) or ipfs://<root-cid>
  --routing URL     Delegated Routing V1 endpoint (IPNS records, providers)
  --peer MULTIADDR  a peer to connect to for blocks, e.g. the network's relay (repeatable); each
                    is asked to pin every new root before the name moves to it (a keeper)
  --listen H:P      address to serve on (default 127.0.0.1:8000; port 0 picks a free one)
  --key NAME        the IPNS key (in $CAIRN_HOME/ipns) that publishes the repository; default: the
                    stored key whose name is the repository's. Without a key nothing is published.
  --pass-file FILE  passphrase of the IPNS key store (else $CAIRN_KEY_PASSPHRASE)
  --password-file FILE
                    the repository's password: unlocks the name's key the repository carries, so
                    this device publishes without holding the key itself
  --idle MS         end a write session after MS without requests (default 5000)
  --init            the name has no record yet (a new repository): start empty, for "restic init"
  --no-keeper       publish even when no --peer keeper pinned the new root (its blocks then live
                    only in $CAIRN_HOME, and other devices cannot fetch them once this stops)
  --allow-origin ORIGIN
                    let pages from ORIGIN (e.g. the app at http://127.0.0.1:8080) use the server
                    from a browser, to push a backup to it (repeatable). Without it no page can:
                    restic and other programs are not pages and need no flag.
  --json            print one JSON line {url, repo, root, name, peerId} once serving, then one JSON line
                    {root, published} per write session

After each write session (restic removed its lock, or --idle passed) the new root is pinned, the
old one unpinned, handed to the --peer keepers (they fetch only the blocks they lack and pin it),
and the name republished; when no keeper pins it, the name stays where it was and the error is
printed. Blocks and pins live in $CAIRN_HOME (default ~/.cairn).
Stop with Ctrl-C: pending writes are flushed and published first.
`

function listenAddr (text: string): { host: string, port: number } {
  const m = /^(.*):(\d+)$/.exec(text)
  const port = Number(m?.[2])
  if (m === null || !Number.isInteger(port) || port > 65535) {
    throw new InvalidInputError(`--listen must be HOST:PORT, e.g. 127.0.0.1:8000; got "${text}".`)
  }
  return { host: (m[1] ?? '').replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port }
}

async function serveRestic (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      repo: { type: 'string' },
      ...IPFS_REPO_FLAGS,
      listen: { type: 'string', default: '127.0.0.1:8000' },
      idle: { type: 'string', default: '5000' },
      init: { type: 'boolean', default: false },
      'allow-origin': { type: 'string', multiple: true, default: [] },
      'password-file': { type: 'string' },
      json: { type: 'boolean', default: false }
    }
  })
  if (values.repo === undefined) throw new InvalidInputError('Give the repository with --repo ipns://<name> or --repo ipfs://<cid>.')
  const idleMs = Number(values.idle)
  if (!Number.isInteger(idleMs) || idleMs < 0) throw new InvalidInputError(`--idle must be a whole number of milliseconds; got "${values.idle}".`)
  const { host, port } = listenAddr(values.listen)
  const { normalizeOrigin } = await import('../../network/cors.js')
  const corsOrigins = values['allow-origin'].map(normalizeOrigin)
  const { openIpfsRepoBackend, startRestServer } = await import('../../restic-ipfs/index.js')
  const repo = await openIpfsRepoBackend(values.repo, await ipfsRepoOptions(values, io, { createIfMissing: values.init }))
  try {
    await unlockNameKey(repo.backend, values['password-file'], io)
  } catch (err) {
    await repo.close().catch(() => {})
    throw err
  }
  const json = values.json
  const say = (text: string, obj: Record<string, unknown>): void => {
    if (json) io.out(JSON.stringify(obj) + '\n')
    else io.err(text + '\n')
  }
  let server: Awaited<ReturnType<typeof startRestServer>> | undefined
  try {
    server = await startRestServer(repo.backend, {
      host,
      port,
      idleMs,
      corsOrigins,
      onError: (err) => { io.err(`cairn serve restic: ${err.message}\n`) },
      onSession: async () => {
        if (await repo.backend.ipnsName() !== undefined) {
          const res = await repo.backend.publish()
          say(`root ${repo.backend.root?.toString() ?? ''} published as ${res.name.k51} (sequence ${res.sequence})`, { root: repo.backend.root?.toString(), published: res.name.k51, sequence: res.sequence.toString() })
        } else {
          const root = await repo.backend.flush()
          const why = await repo.backend.readOnlyReason() ?? 'no IPNS key for this repository'
          say(`root ${root?.toString() ?? ''} (pinned; not published: ${why})`, { root: root?.toString(), published: null, readOnly: why })
        }
      }
    })
    const info = { url: server.url, repo: repo.backend.location, root: repo.backend.root?.toString() ?? null, name: (await repo.backend.ipnsName())?.k51 ?? null, readOnly: await repo.backend.readOnlyReason() ?? null, peerId: repo.helia.libp2p.peerId.toString() }
    if (json) io.out(JSON.stringify(info) + '\n')
    else {
      io.out([
        `Serving ${info.repo} over restic's REST protocol`,
        '',
        `  restic -r rest:${server.url} <command>`,
        '',
        `  root      ${info.root ?? '(empty: run restic init)'}`,
        `  publish   ${info.name ?? `no (${info.readOnly ?? 'no IPNS key for this repository'})`}`,
        '',
        'Press Ctrl-C to stop.',
        ''
      ].join('\n'))
    }
    await new Promise<void>(resolve => {
      if (io.signal.aborted) resolve()
      else io.signal.addEventListener('abort', () => { resolve() }, { once: true })
    })
  } finally {
    await server?.close()
    const root = await repo.close()
    if (!json) io.err(`Stopped; repository root ${root?.toString() ?? '(none)'}.\n`)
  }
  return 0
}

/**
 * With the repository's password (--password-file), unlocks the name's key the repository carries,
 * so a device that did not create the name publishes too; without it, only a local key publishes.
 */
async function unlockNameKey (backend: IpfsBackend, passwordFile: string | undefined, io: CommandIO): Promise<void> {
  if (passwordFile === undefined || backend.root === undefined) return
  const { readPassword } = await import('../restic/context.js')
  const { Repository } = await import('../../../restic/index.js')
  const repo = await Repository.open(backend, { password: await readPassword(passwordFile, io), signal: io.signal })
  await backend.useMasterKey(repo.key, { signal: io.signal })
}

const command: Command = {
  name: 'serve',
  summary: 'Serve a restic repository stored on IPFS over restic\'s REST protocol.',
  usage,
  async run (argv, io) {
    const [what, ...rest] = argv
    if (what === 'restic') return await serveRestic(rest, io)
    if (what === undefined || what === '--help' || what === '-h') {
      io.out(usage)
      return what === undefined ? 2 : 0
    }
    throw new InvalidInputError(`cairn serve: unknown service "${what}". Only "cairn serve restic" exists; run \`cairn serve --help\`.`)
  }
}

export default command
