/** What an IPFS-hosted restic repository is opened with, and the events it reports. */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { Profile } from '../add/profiles.js'
import type { IPNSComponents } from '../ipns/publish.js'
import type { KeyStore } from '../ipns/keys.js'
import type { Helia } from '@helia/interface'
import type { PrivateKey } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** What the backend needs from a node (a whole Helia fits; `routing` only for IPNS over libp2p). */
export interface IpfsBackendComponents {
  helia: Pick<Helia, 'blockstore' | 'pins'> & Partial<Pick<Helia, 'routing'>>
}

export type IpfsBackendEvents =
  | ProgressEvent<'restic-ipfs:flush:root', { root: CID, previous: CID | undefined }>
  | ProgressEvent<'restic-ipfs:flush:unpinned', { root: CID }>
  | ProgressEvent<'restic-ipfs:publish:done', { name: string, root: CID, sequence: bigint }>
  | ProgressEvent<'restic-ipfs:publish:merged', { base: CID | undefined, ours: CID, theirs: CID, root: CID, added: number, removed: number }>
  | ProgressEvent<'restic-ipfs:key:unlocked', { name: string }>
  | ProgressEvent<'restic-ipfs:key:stored', { name: string }>
  | ProgressEvent<'restic-ipfs:open:resolved', { name: string, root: CID }>
  | ProgressEvent<'restic-ipfs:read:stalled', { path: string, attempt: number, bytesRead: number }>

/** IPNS settings: where to resolve and publish, and (to publish) the repository's own key. */
export interface IpfsBackendIPNS extends Omit<IPNSComponents, 'helia'> {
  /** The signing key directly… */
  privateKey?: PrivateKey | undefined
  /** …or a key store and the key's name in it (generated on `create()` when absent). */
  keys?: KeyStore | undefined
  keyName?: string | undefined
  /** Also publish/resolve through the Helia node's routing. @default false */
  useHeliaRouting?: boolean | undefined
}

export interface IpfsBackendInit extends OperationOptions<IpfsBackendEvents> {
  /** Open this root (`CID` or its string). */
  root?: CID | string | undefined
  /** Open the root an IPNS name points at (`k51…`, `/ipns/k51…`); needs `ipns.routers`. */
  name?: string | undefined
  /** Resolving and publishing. Without it the backend never publishes. */
  ipns?: IpfsBackendIPNS | undefined
  /** Pin each new root (and unpin the previous one once the new one is pinned). @default true */
  pin?: boolean | undefined
  /** Overrides of the import profile, e.g. a lower `shardSplitThresholdBytes` in tests. */
  profile?: Partial<Profile> | undefined
  /** Called after a new root is pinned (and the old one unpinned). */
  onRootChange?: ((root: CID, previous: CID | undefined) => void | Promise<void>) | undefined
  /** How long opening waits for the root block, ms. @default 30 000 */
  openTimeoutMs?: number | undefined
  /**
   * Blocks of one file fetched at a time by a read (the exporter's `blockReadConcurrency`).
   * @default 1: blocks that come through a relay which pulls them on provider lookups (the local
   * network peer) fail to load when several of one file are wanted at once; one at a time works.
   */
  readConcurrency?: number | undefined
  /** A read with no block arriving for this long asks again. @default 30 000 ms */
  readStallTimeoutMs?: number | undefined
  /** Tries per read before a stalled read fails. @default 3 */
  readAttempts?: number | undefined
  /** Parallel block lookups when listing `data/` sizes. @default 16 */
  listConcurrency?: number | undefined
  /** Merge-and-publish attempts before giving up when the name keeps moving. @default 8 */
  publishAttempts?: number | undefined
  /** `location` for messages. @default `ipns://<name>` or `ipfs://<root>` */
  location?: string | undefined
}
