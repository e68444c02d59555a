/**
 * What both of Cairn's gateways share (the local network peer's trustless gateway in
 * src/node/network/gateway-trustless.ts, the service worker's in src/sw/gateway-trustless.ts):
 * request parsing, path resolution, CAR block selection and framing.
 */
export { GatewayNotFoundError, GatewayRequestError } from './errors.js'
export { carHeaderBytes, carSectionBytes } from './car.js'
export { MAX_CAR_BLOCKS, byteRange, readLocalBlock, resolvePath, selectBlocks } from './dag.js'
export type { DagBlock, DagScope, EntityBytes, ResolvedPath, SelectOptions } from './dag.js'
export { parseCarRequest, parseRange, wantedFormat } from './request.js'
export type { CarRequest, GatewayFormat } from './request.js'

/** `attachment; filename="<ascii>"; filename*=UTF-8''<encoded>` (or `inline; …`): never a raw name inside quotes. */
export function attachment (name: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = [...name].map(c => /^[\x20-\x7e]$/.test(c) && c !== '"' && c !== '\\' ? c : '_').join('')
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}
