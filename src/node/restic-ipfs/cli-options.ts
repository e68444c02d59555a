/**
 * The flags `cairn serve restic` and `cairn restic --repo ipns://…|ipfs://…` share: where the
 * repository's network is (--routing, --peer), which key publishes it (--key, --pass-file), and
 * the Cairn home for blocks, pins and keys ($CAIRN_HOME, default ~/.cairn).
 */
import { parsePeerAddrs } from '../dial-peers.js'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { InvalidInputError } from '../../core/errors.js'
import type { CommandIO } from '../cli/command.js'
import type { OpenIpfsRepoOptions } from './index.js'

/** `ipns://…`, `ipfs://…`, `/ipns/…` or `/ipfs/…` (kept here, free of heavy imports, for the CLI). */
export function isIpfsRepoUrl (url: string): boolean {
  return /^(?:ipns|ipfs):\/\/|^\/(?:ipns|ipfs)\//.test(url.trim())
}

export const IPFS_REPO_FLAGS = {
  routing: { type: 'string' },
  peer: { type: 'string', multiple: true },
  key: { type: 'string' },
  'pass-file': { type: 'string' },
  'no-keeper': { type: 'boolean' }
} as const

export const IPFS_REPO_USAGE = `  --routing URL     (ipns:// and ipfs:// repositories) Delegated Routing V1 endpoint
  --peer MULTIADDR  (ipns:// and ipfs:// repositories) a peer to fetch blocks from, e.g. the relay,
                    and the keeper asked to pin each new root of an ipns:// repository before
                    its name moves (e.g. the peer \`cairn network\` prints); repeatable
  --key NAME        the IPNS key that publishes the repository (default: the key named after it)
  --pass-file FILE  passphrase of the IPNS key store (else $CAIRN_KEY_PASSPHRASE)
  --no-keeper       publish an ipns:// repository even though no --peer keeper pinned its new
                    root. By default each --peer is asked to pin it first (/cairn/pin/1.0.0: it
                    fetches the blocks it lacks from this node) and the name moves only once one
                    holds it all; with --no-keeper the blocks live only in $CAIRN_HOME`

export async function readPassphrase (passFile: string | undefined, io: CommandIO): Promise<string | undefined> {
  if (passFile !== undefined) {
    const text = (await readFile(resolve(io.cwd, passFile), 'utf8')).replace(/\r?\n$/, '')
    if (text === '') throw new InvalidInputError(`The passphrase file ${passFile} is empty. Put the passphrase on its first line.`)
    return text
  }
  const env = io.env.CAIRN_KEY_PASSPHRASE
  return env === undefined || env === '' ? undefined : env
}

export function cairnHome (io: CommandIO): string {
  return resolve(io.cwd, io.env.CAIRN_HOME ?? join(homedir(), '.cairn'))
}

export async function ipfsRepoOptions (
  values: { routing?: string | undefined, peer?: string[] | undefined, key?: string | undefined, 'pass-file'?: string | undefined, 'no-keeper'?: boolean | undefined },
  io: CommandIO,
  extra: Partial<OpenIpfsRepoOptions> = {}
): Promise<OpenIpfsRepoOptions> {
  parsePeerAddrs(values.peer ?? [])
  return {
    routingUrl: values.routing,
    relayAddrs: values.peer ?? [],
    home: cairnHome(io),
    passphrase: await readPassphrase(values['pass-file'], io),
    keyName: values.key,
    handOff: values['no-keeper'] !== true,
    signal: io.signal,
    ...extra,
    onProgress: (evt) => {
      reportHandoff(evt, io)
      extra.onProgress?.(evt)
    }
  }
}

/** Tells the user on stderr where the new root went before the name moved. */
function reportHandoff (evt: Parameters<NonNullable<OpenIpfsRepoOptions['onProgress']>>[0], io: CommandIO): void {
  switch (evt.type) {
    case 'restic-ipfs:handoff:start':
      io.err(`handing root ${evt.detail.root.toString()} to ${evt.detail.peers.length} keeper(s) before publishing\n`)
      break
    case 'restic-ipfs:handoff:pinned':
      io.err(`keeper ${evt.detail.peer} pinned it: ${evt.detail.blocks} blocks, ${evt.detail.sentBlocks} sent (${evt.detail.sentBytes} bytes) in ${(evt.detail.ms / 1000).toFixed(1)} s\n`)
      break
    case 'restic-ipfs:handoff:failed':
      io.err(`keeper ${evt.detail.peer} did not pin it: ${evt.detail.reason}\n`)
      break
  }
}
