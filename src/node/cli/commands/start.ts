import { parseArgs } from 'node:util'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { CairnError } from '../../../core/errors.js'
import { repoDir } from '../../files/repo.js'
import { untilAborted } from '../command.js'
import type { Command } from '../command.js'

export class AppNotBuiltError extends CairnError {
  static override readonly code = 'ERR_APP_NOT_BUILT'
}

const usage = `Usage: cairn start [--dist dist] [--host 127.0.0.1] [--port 8080] [--ws-port 9090] [--http-port 9091] [--base /]
                   [--home DIR] [--routing URL]...

Serves the built app (dist/) together with a local network peer (relay, bitswap, delegated
routing, trustless gateway), so that two tabs find each other with no internet. The page finds
the local network at ./cairn-local.json and uses the "local" settings profile. Only the app's
own origin may read the network's pinning token and use its pinning API from a page. The peer
keeps its blocks, pins, IPNS records and identity in <home>/network (see \`cairn network --help\`).

  --dist DIR        built app folder (default: dist; build it with \`npm run build\`)
  --host HOST       interface for every server (default: 127.0.0.1)
  --port N          app HTTP port (default: 8080; 0 picks a free one)
  --ws-port N       relay WebSockets port (default: 9090)
  --http-port N     routing/gateway HTTP port (default: 9091)
  --base PATH       serve the app under this URL path (default: /)
  --home DIR        the Cairn home; the local network keeps its data in DIR/network (default:
                    $CAIRN_HOME, else ~/.cairn)
  --key-file FILE   relay identity, so its peer ID survives restarts (default: DIR/network/peer.key)
  --routing URL     a Delegated Routing V1 router the held IPNS records are re-sent to (repeatable)
`

const command: Command = {
  name: 'start',
  summary: 'Serve the built app with a local network peer (what `npm start` runs).',
  usage,
  async run (argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        dist: { type: 'string', default: 'dist' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        'ws-port': { type: 'string', default: '9090' },
        'http-port': { type: 'string', default: '9091' },
        base: { type: 'string', default: '/' },
        'key-file': { type: 'string' },
        home: { type: 'string' },
        routing: { type: 'string', multiple: true, default: [] }
      }
    })
    const dist = resolve(io.cwd, values.dist)
    if (!existsSync(resolve(dist, 'index.html'))) {
      throw new AppNotBuiltError(`No built app in ${dist}. Run \`npm run build\` first (or use \`npm start\`, which builds).`)
    }
    const { appOrigins, startLocalNetwork } = await import('../../network/index.js')
    const { startStaticServer } = await import('../../serve/static-server.js')
    const network = await startLocalNetwork({
      host: values.host,
      wsPort: Number(values['ws-port']),
      httpPort: Number(values['http-port']),
      home: repoDir(values.home, io.env, io.cwd),
      upstreamRouters: values.routing,
      ...(values['key-file'] !== undefined ? { keyFile: resolve(io.cwd, values['key-file']) } : {})
    })
    let site: Awaited<ReturnType<typeof startStaticServer>>
    try {
      site = await startStaticServer({ root: dist, host: values.host, port: Number(values.port), basePath: values.base, localInfo: network.info })
    } catch (err) {
      await network.stop()
      throw err
    }
    // Only the app's own pages may read the pinning token and use the pinning API.
    for (const origin of appOrigins(site.url)) network.allowOrigin(origin)
    io.out([
      `Cairn is running at ${site.url}`,
      '',
      `  relay        ${network.relayAddrs.join('\n               ')}`,
      `  routing      ${network.routingUrl}`,
      `  gateway      ${network.gatewayUrl}`,
      `  kept in      ${network.dataDir ?? ''}`,
      '',
      'Open the URL in two tabs: they connect through the relay. Press Ctrl-C to stop.',
      ''
    ].join('\n'))
    await untilAborted(io.signal)
    await site.close()
    await network.stop()
    return 0
  }
}

export default command
