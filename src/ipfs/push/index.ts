/**
 * Push a backup so it outlives the tab: ask connected peers to pin it (`/cairn/pin/1.0.0`), pin
 * it on IPFS Pinning Service API services (with CAR upload where offered), or copy a restic
 * repository to another restic backend (a REST server, same-origin or CORS-enabled).
 * @module
 */
export { PIN_PROTOCOL, decodePeerPinReport, decodePeerPinRequest, decodePeerPinStatus, decodePeerRequest, listPinningPeers, queryPeerPin, requestPeerPin, servePinRequests } from './peer-pin.js'
export type { PeerHeldState, PeerPinEvents, PeerPinOptions, PeerPinReport, PeerPinRequest, PeerPinResult, PeerPinStatus, PeerPinStatusQuery, PinRequestHandler, PinStatusHandler, ServePinRequestsOptions } from './peer-pin.js'
export { PinningServiceClient } from './pinning-service.js'
export type { PinningServiceCapabilities, PinningServiceInit, RemotePin, RemotePinList, RemotePinQuery, RemotePinState, RemotePinStatus } from './pinning-service.js'
export { pinToService, uploadDag } from './pin-remote.js'
export type { PinToServiceEvents, PinToServiceOptions, UploadDagOptions } from './pin-remote.js'
export { mirrorRepository } from './mirror.js'
export type { MirrorEvents, MirrorResult } from './mirror.js'
export { MirrorConflictError, PeerPinFailedError, PeerPinProtocolError, PeerPinRefusedError, PeerPinUnreachableError, PinningServiceAuthError, PinningServiceError, PinningServiceUnreachableError, RemotePinFailedError } from './errors.js'
export { KuboRpcKeeper } from './kubo-rpc.js'
export type { KuboRpcKeeperInit } from './kubo-rpc.js'
export { ClusterKeeper, clusterState } from './cluster.js'
export type { ClusterKeeperInit } from './cluster.js'
export { carParts, DEFAULT_CAR_PART_BYTES } from './car-parts.js'
export type { CarPart, CarPartsOptions } from './car-parts.js'
export { PsaKeeper } from './psa.js'
export type { PsaKeeperInit } from './psa.js'
export { S3Keeper } from './s3.js'
export { PeerKeeper } from './peer-keeper.js'
export type { PeerKeeperInit } from './peer-keeper.js'
export type { S3KeeperInit } from './s3.js'
export type { Keeper, KeeperEvents, KeeperKind, KeptState, KeptStatus, PushDagOptions } from './keeper.js'
export { KeeperAuthError, KeeperError, KeeperUnreachableError, KeeperUnsupportedError } from './errors.js'
