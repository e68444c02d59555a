/**
 * IPNS for Cairn: keys (encrypted at rest), records (create, validate, inspect), publish and
 * resolve through Delegated Routing V1 HTTP (and libp2p via Helia), DNSLink over DoH, and the
 * pieces a UI needs to keep names alive.
 */
export * from './errors.js'
export { LIBP2P_KEY_CODEC, nameFromMultihash, nameFromPublicKey, parseIPNSPath, parseName, publicKeyFromName } from './names.js'
export type { IPNSName, ParsedIPNSPath } from './names.js'
export { KeyStore } from './keys.js'
export type { KeyInfo, KeyProtection, KeyStoreInit } from './keys.js'
export { MAX_RECORD_SIZE, inspectRecord, parseRFC3339, validateRecord } from './inspect.js'
export type { InspectOptions, InvalidRecord, RecordVerdict, ValidRecord } from './inspect.js'
export { DEFAULT_LIFETIME_MS, DEFAULT_TTL_MS, NameStateStore, createRecord, normaliseRecordValue } from './records.js'
export type { CreateRecordOptions, NameState } from './records.js'
export { DEFAULT_REQUEST_TIMEOUT_MS, IPNS_RECORD_CONTENT_TYPE, getIPNSRecord, putIPNSRecord, queryDNSLink } from './delegated.js'
export type { DNSLinkAnswer, HttpOptions } from './delegated.js'
export { publish, publishWithKey, pushRecord } from './publish.js'
export { LIBP2P_TARGET, peerTarget } from './sources.js'
export type { RecordTargets } from './sources.js'
export { KAD_PROTOCOL, KadMessageError, getRecordFromPeer, putRecordToPeer, recordPeers, serveRecords } from './libp2p.js'
export type { PeerRecordOptions, RecordNetwork, RecordStore, ServeRecordEvents, ServeRecordsOptions } from './libp2p.js'
export type { IPNSComponents, PublishComponents, PublishEvents, PublishOptions, PublishResult, PushOptions, PushResult } from './publish.js'
export { resolve, resolveRecord } from './resolve.js'
export type { ResolveEvents, ResolveOptions, ResolveResult, ResolveStep } from './resolve.js'
export { expiresSoon, exportRecord, republish } from './keepalive.js'
export { parseDuration } from './duration.js'
export { heldRecords, nameFromRoutingKey } from './held-records.js'
export type { HeldRecordsOptions } from './held-records.js'
