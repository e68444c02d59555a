/**
 * The node's one way to trustless gateways: a Helia block broker over `fromGateways` (each gateway
 * in Settings order, its path prefix kept, every block verified, one named error naming each
 * gateway's failure). Helia's own gateway client is not used for the configured gateways: it
 * requests `/ipfs/<cid>` at the host and drops a gateway URL's path prefix.
 */
import { PEERS_ONLY, fromGateways } from './blocks.js'
import type { BlockOptions } from './blocks.js'
import type { BlockBroker } from '@helia/interface'
import type { CID } from 'multiformats/cid'

export class GatewaysSkippedError extends Error {
  override readonly name = 'GatewaysSkippedError'
}

export function gatewayBroker (gateways: readonly string[], fetch?: typeof globalThis.fetch): BlockBroker {
  return {
    name: 'cairn-gateways',
    async retrieve (cid: CID, options: BlockOptions & Record<string, unknown> = {}): Promise<Uint8Array> {
      if (options[PEERS_ONLY] === true) throw new GatewaysSkippedError('this request asks peers only')
      if (gateways.length === 0) throw new GatewaysSkippedError('no trustless gateway is configured')
      return await fromGateways({ gateways, fetch }, cid, { signal: options.signal, gatewayTimeoutMs: options.gatewayTimeoutMs })
    }
  }
}
