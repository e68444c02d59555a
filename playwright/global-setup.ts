/**
 * Starts the local network peer and serves dist/ (built by `npm run test:e2e`) for the tests.
 * Their addresses reach the tests through environment variables.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startLocalNetwork } from '../src/node/network/index.js'
import { startStaticServer } from '../src/node/serve/static-server.js'

const DIST = fileURLToPath(new URL('../dist/', import.meta.url))

export default async function globalSetup (): Promise<() => Promise<void>> {
  if (!existsSync(DIST + 'index.html')) throw new Error('dist/ is missing: run `npm run build` (npm run test:e2e builds first).')
  const network = await startLocalNetwork({})
  const site = await startStaticServer({ root: DIST, localInfo: network.info })
  const sub = await startStaticServer({ root: DIST, localInfo: network.info, basePath: '/ipfs/app/sub/' })
  // As `cairn start` does: only the app's own pages may read the pinning token and use the API.
  for (const url of [site.url, sub.url]) network.allowOrigin(new URL(url).origin)
  process.env.CAIRN_BASE_URL = site.url
  process.env.CAIRN_SUBPATH_URL = sub.url
  process.env.CAIRN_RELAY_PEER = network.peerId.toString()
  process.env.CAIRN_RELAY_ADDRS = JSON.stringify(network.relayAddrs)
  process.env.CAIRN_ROUTING_URL = network.routingUrl
  process.env.CAIRN_GATEWAY_URL = network.gatewayUrl
  process.env.CAIRN_PINNING_TOKEN = network.pinningService.token
  return async () => {
    await Promise.all([site.close(), sub.close()])
    await network.stop()
  }
}
