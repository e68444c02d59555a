/**
 * One fetch path for everything that reads content by CID in the page (open, browse, preview,
 * download, archives, CAR export): a view of the node whose blockstore reads through `getBlock`,
 * so a block comes from the local store, then connected peers (a bounded wait), then each
 * gateway in order, is verified, and a miss or a tampered block ends the read at once with an
 * error naming each source, instead of a bitswap want that waits for the caller's timeout.
 */
import { getBlock, peersFromNode } from './blocks.js'
import type { BlockOptions, BlockSources } from './blocks.js'
import type { AbortOptions } from '../../core/options.js'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

export interface ContentNodeInit extends Pick<BlockOptions, 'gatewayTimeoutMs' | 'peerHeadStartMs'> {
  gateways: readonly string[]
  /** How long connected peers get for one block. @default 5000 */
  peerTimeoutMs?: number | undefined
  fetch?: typeof globalThis.fetch | undefined
}

type ReadableNode = { blockstore: Blockstore, libp2p: { getConnections: () => unknown[] } }

/** The blockstore `getBlock` reads through: `get` is verified retrieval, the rest is local. */
export function contentBlockstore (sources: BlockSources, defaults: Pick<BlockOptions, 'gatewayTimeoutMs' | 'peerHeadStartMs'> = {}): Blockstore {
  const local = sources.blockstore
  return {
    get: async function * (cid: CID, options: AbortOptions & { offline?: boolean, onProgress?: (evt: { type: string, detail: unknown }) => void } = {}) {
      // The same event Helia's blockstore sends, so readers can count the blocks they fetch.
      options.onProgress?.({ type: 'blocks:get:blockstore:get', detail: cid })
      yield await getBlock(sources, cid, { ...defaults, signal: options.signal, offline: options.offline })
    },
    has: async (cid: CID, options?: AbortOptions) => await local.has(cid, options),
    put: async (cid: CID, bytes: Uint8Array, options?: AbortOptions) => await local.put(cid, bytes, options)
  } as unknown as Blockstore
}

/** `node` with its blockstore replaced by `contentBlockstore` (everything else is the node's). */
export function contentNode<N extends ReadableNode> (node: N, init: ContentNodeInit): N {
  const sources: BlockSources = {
    blockstore: node.blockstore,
    gateways: init.gateways,
    peers: peersFromNode(node, { timeoutMs: init.peerTimeoutMs ?? 5000 }),
    fetch: init.fetch
  }
  const blockstore = contentBlockstore(sources, { gatewayTimeoutMs: init.gatewayTimeoutMs, peerHeadStartMs: init.peerHeadStartMs })
  return Object.assign(Object.create(node) as N, { blockstore })
}
