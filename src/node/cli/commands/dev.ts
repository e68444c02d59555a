import { parseArgs } from 'node:util'
import { untilAborted } from '../command.js'
import type { Command } from '../command.js'

const usage = `Usage: cairn dev [--port 5173] [--ws-port 9090] [--http-port 9091]

Runs the Vite dev server (hot reload) together with a local network peer. The page finds the
local network at ./cairn-local.json, as with \`cairn start\`; only the dev server's origin may read
the network's pinning token and use its pinning API from a page.
`

const command: Command = {
  name: 'dev',
  summary: 'Run the Vite dev server with a local network peer (what `npm run dev` runs).',
  usage,
  async run (argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '5173' },
        'ws-port': { type: 'string', default: '9090' },
        'http-port': { type: 'string', default: '9091' },
        'key-file': { type: 'string', default: '.cairn-network.key' }
      }
    })
    const { appOrigins, startLocalNetwork } = await import('../../network/index.js')
    const { createServer } = await import('vite')
    const network = await startLocalNetwork({ wsPort: Number(values['ws-port']), httpPort: Number(values['http-port']), keyFile: values['key-file'] })
    const server = await createServer({
      server: { port: Number(values.port), host: '127.0.0.1' },
      plugins: [{
        name: 'cairn-local-network',
        configureServer (s) {
          s.middlewares.use((req, res, next) => {
            if (req.url?.split('?')[0]?.endsWith('/cairn-local.json') === true) {
              // It holds the pinning token: same-origin only. (Vite's CORS middleware, which runs
              // first, lets every loopback origin read what it serves.)
              for (const h of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-private-network']) res.removeHeader(h)
              res.setHeader('vary', 'Origin')
              res.setHeader('content-type', 'application/json')
              res.setHeader('cache-control', 'no-store')
              res.end(JSON.stringify(network.info))
              return
            }
            next()
          })
        }
      }]
    })
    await server.listen()
    // Only the app's own pages may read the pinning token and use the pinning API.
    for (const url of server.resolvedUrls?.local ?? []) for (const origin of appOrigins(url)) network.allowOrigin(origin)
    io.out(`Cairn dev server: ${server.resolvedUrls?.local[0] ?? ''}\nrelay: ${network.relayAddrs.join(' ')}\n`)
    await untilAborted(io.signal)
    await server.close()
    await network.stop()
    return 0
  }
}

export default command
