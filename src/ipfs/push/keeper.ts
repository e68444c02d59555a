/**
 * A keeper is anything that holds data (and maybe IPNS records) after the tab closes: a Kubo node
 * (RPC), an IPFS Cluster (REST API), an IPFS Pinning Service API service, an S3-compatible bucket
 * that imports CARs (Filebase), or a peer speaking `/cairn/pin/1.0.0`. Each kind is one small
 * class behind this interface, so the app pushes and checks every kind the same way.
 *
 * - `pushDag` makes the keeper hold (pin) the whole DAG under `root`, uploading a CAR read from
 *   `blocks` or asking the keeper to pull from `origins`, and resolves with what the keeper says.
 * - `status` asks the keeper whether it holds `root` now (its pin status); it never uploads.
 * - `pushRecord` hands a signed IPNS record over, for keepers that hold records
 *   (`holdsRecords`); the others throw `KeeperUnsupportedError`.
 *
 * Failures throw the errors of `./errors.ts` with advice; nothing is retried silently.
 */
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { ReadableStore } from '../car/walk.js'
import type { CID } from 'multiformats/cid'

export type KeeperKind = 'peer' | 'kubo' | 'cluster' | 'psa' | 's3'

/**
 * What a keeper says about a root: `pinned` (held for good), `pinning`/`queued` (accepted, still
 * fetching), `failed` (accepted, then gave up), `absent` (not held), `unknown` (the keeper cannot
 * say, e.g. a bucket that has no pin list).
 */
export type KeptState = 'pinned' | 'pinning' | 'queued' | 'failed' | 'absent' | 'unknown'

export interface KeptStatus {
  state: KeptState
  /** A short human text: a request id, a reason, the CID the keeper read back, … */
  detail?: string | undefined
}

export type KeeperEvents =
  /** Bytes of the CAR sent so far (uploading keepers). */
  | ProgressEvent<'push:keeper:upload', { blocks: number, bytes: number }>
  /** The keeper's own status while it pins. */
  | ProgressEvent<'push:keeper:status', KeptStatus>

export interface PushDagOptions extends OperationOptions<KeeperEvents> {
  /** Where the DAG's blocks are read from (CAR uploads, or to serve a pulling keeper). */
  blocks: ReadableStore
  /** This node's multiaddrs (`…/p2p/<id>`), for keepers that pull (PSA `origins`). */
  origins?: string[] | undefined
  /** A label for the pin (shown in the keeper's pin list). */
  name?: string | undefined
}

export interface Keeper {
  /** Unique per profile: `<kind>:<name>` (or `peer:<peer id>`). */
  readonly id: string
  readonly kind: KeeperKind
  /** Shown to the user, e.g. `Kubo at 127.0.0.1:5001`. */
  readonly label: string
  /** True when `pushRecord` is supported. */
  readonly holdsRecords: boolean
  pushDag: (root: CID, options: PushDagOptions) => Promise<KeptStatus>
  status: (root: CID, options?: AbortOptions) => Promise<KeptStatus>
  /** `name`: the IPNS name as a `k51…` string; `record`: the signed record's protobuf bytes. */
  pushRecord: (name: string, record: Uint8Array, options?: AbortOptions) => Promise<void>
}
