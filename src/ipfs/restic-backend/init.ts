/** What an IPFS-hosted restic repository is opened with, and the events it reports. */
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { Profile } from '../add/profiles.js'
import type { IPNSComponents } from '../ipns/publish.js'
import type { KeyStore } from '../ipns/keys.js'
import type { Helia } from '@helia/interface'
import type { PrivateKey } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** What the backend needs from a node (a whole Helia fits; `routing` only for IPNS over libp2p). */
export interface IpfsBackendComponents {
  helia: Pick<Helia, 'blockstore' | 'pins'> & Partial<Pick<Helia, 'routing'>> & { libp2p?: { getConnections: () => unknown[] } | undefined }
  /**
   * Where reads go instead of `helia.blockstore`: `createIpfsBackend` makes a block session (one
   * source for the whole repository, see `src/ipfs/fetch/session.ts`) when `gateways` are given.
   */
  blocks?: IpfsBackendBlocks | undefined
}

/** A blockstore for reads that also gives whole blocks (a `BlockSession` fits). */
export interface IpfsBackendBlocks extends Pick<Blockstore, 'get' | 'has' | 'put'> {
  block: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>
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
  /**
   * Called with the root about to be published, right before its IPNS record is signed: hand its
   * blocks to a node that keeps them (a keeper) and resolve once it holds the whole DAG. When it
   * throws, nothing is published (`RepoNotKeptError`) and the name keeps its previous root.
   */
  beforePublish?: ((root: CID, options: AbortOptions) => Promise<void>) | undefined
  /** Called after a new root is pinned (and the old one unpinned). */
  onRootChange?: ((root: CID, previous: CID | undefined) => void | Promise<void>) | undefined
  /** How long opening waits for the root block, ms. @default 30 000 */
  openTimeoutMs?: number | undefined
  /**
   * Trustless gateways (Settings order). With them, reads go through one block session for the
   * repository: the first missing block is raced among the connected peers and these gateways,
   * and the winner serves the rest (no lookup per block, no block fetched over both bitswap and
   * HTTP). Without them, reads go to `helia.blockstore` as they are.
   */
  gateways?: readonly string[] | undefined
  /** The fetch used for the gateways. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch | undefined
  /**
   * Blocks of one ranged read fetched at a time (only the blocks covering the range are fetched).
   * @default 1 (see DEFAULT_READ_CONCURRENCY: more stalls over the local network's bitswap)
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
