/** A restic repository stored as a UnixFS directory on IPFS, published under its own IPNS name. */
export { IpfsBackend, createIpfsBackend, resolveRepoRoot } from './backend.js'
export type { IpfsBackendComponents, IpfsBackendEvents, IpfsBackendInit, IpfsBackendIPNS } from './backend.js'
export * from './errors.js'
