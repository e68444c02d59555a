/** A restic repository stored as a UnixFS directory on IPFS, published under its own IPNS name. */
export { IpfsBackend } from './backend.js'
export { createIpfsBackend, resolveRepoRoot } from './open.js'
export { warmRepository } from './warm.js'
export type { WarmOptions } from './warm.js'
export type { IpfsBackendComponents, IpfsBackendEvents, IpfsBackendInit, IpfsBackendIPNS } from './init.js'
export * from './errors.js'
