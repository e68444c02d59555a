import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { InvalidInputError } from '../../../core/errors.js'
import { repoDir } from '../../files/repo.js'
import { untilAborted } from '../command.js'
import type { Command } from '../command.js'

const usage = `Usage: cairn network [--host 127.0.0.1] [--ws-port N] [--http-port N] [--home DIR | --memory]
                     [--key-file FILE] [--routing URL]... [--allow-origin ORIGIN]... [--json]

Runs a local network peer until Ctrl-C: a WebSockets circuit relay, a bitswap peer, a delegated
routing (Routing V1) server that stores IPNS records and lists providers, a trustless gateway
for raw blocks, and /cairn-local.json describing them. Browser tabs in the "local" profile find
each other through it, with no internet.

It is a keeper: blocks, pins, pinned requests, held IPNS records and its identity are kept in
<home>/network and survive restarts, and it re-sends each held IPNS record (to the --routing
routers and to connected peers) before its TTL runs out, for as long as the record is valid.

  --host HOST       interface to listen on (default: 127.0.0.1)
  --ws-port N       relay WebSockets port (default: 0, a free port)
  --http-port N     routing/gateway HTTP port (default: 0, a free port)
  --home DIR        the Cairn home; the peer keeps its data in DIR/network (default: $CAIRN_HOME,
                    else ~/.cairn)
  --memory          keep nothing on disk: blocks, pins, records and identity are gone at exit
  --key-file FILE   keep the peer identity in FILE (created if missing) (default: DIR/network/
                    peer.key; with --memory, a new identity each run)
  --routing URL     a Delegated Routing V1 router the held IPNS records are re-sent to (repeatable)
  --allow-origin ORIGIN
                    a page origin of the app, e.g. http://127.0.0.1:8080 (repeatable). Only these
                    pages may read /cairn-local.json (it holds the pinning token) and use the
                    pinning API at /pinning; pages from any other origin are refused. The gateway
                    and routing answer every origin. (\`cairn start\` and \`cairn dev\` allow
                    the app's own origin by themselves.)
  --json            print one JSON line {peerId, relayAddrs, routingUrl, gatewayUrl} once ready,
                    and nothing else on standard output
`

function port (name: string, text: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidInputError(`--${name} must be a port number from 0 to 65535 (0 picks a free port); got "${text}".`)
  }
  return n
}

const command: Command = {
  name: 'network',
  summary: 'Run a local network peer (relay, bitswap, routing, gateway) for browser tabs to meet.',
  usage,
  async run (argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        'ws-port': { type: 'string', default: '0' },
        'http-port': { type: 'string', default: '0' },
        'key-file': { type: 'string' },
        home: { type: 'string' },
        memory: { type: 'boolean', default: false },
        routing: { type: 'string', multiple: true, default: [] },
        'allow-origin': { type: 'string', multiple: true, default: [] },
        json: { type: 'boolean', default: false }
      }
    })
    const wsPort = port('ws-port', values['ws-port'])
    const httpPort = port('http-port', values['http-port'])
    const json = values.json
    if (values.memory && values.home !== undefined) throw new InvalidInputError('--home and --memory exclude each other: --memory keeps nothing on disk. Give one of them.')
    const home = values.memory ? undefined : repoDir(values.home, io.env, io.cwd)
    const { normalizeOrigin, startLocalNetwork } = await import('../../network/index.js')
    const allowedOrigins = values['allow-origin'].map(normalizeOrigin)
    const network = await startLocalNetwork({
      allowedOrigins,
      host: values.host,
      wsPort,
      httpPort,
      ...(values['key-file'] !== undefined ? { keyFile: resolve(io.cwd, values['key-file']) } : {}),
      ...(home !== undefined ? { home } : {}),
      upstreamRouters: values.routing,
      signal: io.signal,
      onProgress: json
        ? undefined
        : (event) => {
            if (event.type === 'network:peer:connect') io.err(`peer connected    ${event.detail.peerId}\n`)
            if (event.type === 'network:peer:disconnect') io.err(`peer disconnected ${event.detail.peerId}\n`)
            if (event.type === 'network:ipns:put') io.err(`ipns record from ${event.detail.peer}: ${event.detail.ok ? 'stored' : `refused (${event.detail.error ?? 'invalid'})`}\n`)
            if (event.type === 'network:ipns:resend' && !event.detail.ok) io.err(`ipns record ${event.detail.name} not re-sent to ${event.detail.target}: ${event.detail.error ?? 'refused'}\n`)
          }
    })
    try {
      if (json) {
        io.out(JSON.stringify(network.info) + '\n')
      } else {
        io.out([
          `Local network peer ${network.peerId.toString()}`,
          '',
          `  relay        ${network.relayAddrs.join('\n               ')}`,
          `  routing      ${network.routingUrl}`,
          `  gateway      ${network.gatewayUrl}/ipfs/<cid>?format=raw`,
          `  discovery    ${network.httpUrl}/cairn-local.json`,
          `  kept in      ${network.dataDir ?? 'memory only (gone at exit)'}`,
          ...(values.routing.length > 0 ? [`  upstream     ${values.routing.join(' ')}`] : []),
          `  pages        ${allowedOrigins.length > 0 ? allowedOrigins.join(' ') : 'none may read the pinning token (add --allow-origin <app origin>)'}`,
          '',
          'Press Ctrl-C to stop.',
          ''
        ].join('\n'))
      }
      await untilAborted(io.signal)
    } finally {
      await network.stop()
    }
    if (!json) io.err('Local network stopped.\n')
    return 0
  }
}

export default command
