/**
 * Verified retrieval: local blocks, then connected peers, then trustless gateways in order, through
 * `@helia/verified-fetch`. Runs in the page and in the service worker.
 *
 * @example
 * ```ts
 * const res = await fetchContent({ blockstore, gateways: settings.gateways }, 'ipfs://bafy…/index.html', { signal: AbortSignal.timeout(30_000) })
 * ```
 * @module
 */
export { fetchBytes, fetchContent, listDirectory, parseContentPath, resolveContentPath } from './fetch.js'
export type { ContentPath, DirectoryEntry, DirectoryListing, FetchComponents, FetchContentOptions, FetchEvents, FetchedBytes } from './fetch.js'
export { DEFAULT_GATEWAY_TIMEOUT_MS, DEFAULT_PEER_HEAD_START_MS, MAX_BLOCK_BYTES, RAW_BLOCK_TYPE, fetchBlockFromGateway, gatewayBlockUrl, getBlock, peersFromNode, verifyBlock } from './blocks.js'
export type { BlockEvents, BlockOptions, BlockSources, PeerBlockSource } from './blocks.js'
export { AllGatewaysFailedError, ContentPathNotFoundError, FetchFailedError, InvalidContentPathError, NotAvailableOfflineError, TamperedContentError, UnsupportedHashError } from './errors.js'
export type { GatewayFailure } from './errors.js'
