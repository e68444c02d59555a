/**
 * Push a backup so it outlives the tab: ask connected peers to pin it (`/cairn/pin/1.0.0`), pin
 * it on IPFS Pinning Service API services (with CAR upload where offered), or copy a restic
 * repository to another restic backend (a REST server, same-origin or CORS-enabled).
 * @module
 */
export { PIN_PROTOCOL, decodePeerPinRequest, decodePeerPinStatus, listPinningPeers, requestPeerPin, servePinRequests } from './peer-pin.js'
export type { PeerPinEvents, PeerPinOptions, PeerPinRequest, PeerPinResult, PeerPinStatus, PinRequestHandler, ServePinRequestsOptions } from './peer-pin.js'
export { PinningServiceClient, pinToService, uploadDag } from './pinning-service.js'
export type { PinToServiceEvents, PinToServiceOptions, PinningServiceCapabilities, PinningServiceInit, RemotePin, RemotePinList, RemotePinQuery, RemotePinState, RemotePinStatus, UploadDagOptions } from './pinning-service.js'
export { mirrorRepository } from './mirror.js'
export type { MirrorEvents, MirrorResult } from './mirror.js'
export { MirrorConflictError, PeerPinFailedError, PeerPinProtocolError, PeerPinRefusedError, PeerPinUnreachableError, PinningServiceAuthError, PinningServiceError, PinningServiceUnreachableError, RemotePinFailedError } from './errors.js'
export { KuboRpcKeeper } from './kubo-rpc.js'
export type { KuboRpcKeeperInit } from './kubo-rpc.js'
export { ClusterKeeper, clusterState } from './cluster.js'
export type { ClusterKeeperInit } from './cluster.js'
export { carParts, DEFAULT_CAR_PART_BYTES } from './car-parts.js'
export type { CarPart, CarPartsOptions } from './car-parts.js'
