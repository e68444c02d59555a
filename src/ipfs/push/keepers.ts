/**
 * One place that turns a keeper in Settings into the `Keeper` that talks to it, so the app never
 * switches over kinds itself. Peers that offer to pin (`/cairn/pin/1.0.0`) are not in Settings:
 * `peerKeeper` makes one for a connected peer.
 */
import { InvalidInputError } from '../../core/errors.js'
import { ClusterKeeper } from './cluster.js'
import { KuboRpcKeeper } from './kubo-rpc.js'
import { PeerKeeper } from './peer-keeper.js'
import { PsaKeeper } from './psa.js'
import { S3Keeper } from './s3.js'
import type { Keeper } from './keeper.js'
import type { KeeperSettings } from '../../core/settings.js'

type PsaInit = ConstructorParameters<typeof PsaKeeper>[0]
type PeerInit = ConstructorParameters<typeof PeerKeeper>[0]

/** What keepers need from the page besides their settings. */
export interface KeeperContext {
  /** The fetch to use (the page's by default). */
  fetch?: typeof globalThis.fetch | undefined
  /** How a pinning service's delegates are dialled, so it can fetch the DAG from this node. */
  dial?: PsaInit['dial'] | undefined
  /**
   * Let pinning services that advertise Cairn's CAR-upload extension take the DAG as CARs instead
   * of fetching it from this node (default: they fetch it, as every pinning service does).
   */
  carUpload?: boolean | undefined
}

/** The keeper a Settings entry describes. Throws InvalidInputError for an entry it cannot use. */
export function createKeeper (settings: KeeperSettings, ctx: KeeperContext = {}): Keeper {
  const { name, endpoint } = settings
  const token = settings.token === '' ? undefined : settings.token
  const fetch = ctx.fetch
  switch (settings.kind) {
    case 'kubo':
      return new KuboRpcKeeper({ name, endpoint, token, fetch })
    case 'cluster':
      return new ClusterKeeper({ name, endpoint, token, fetch })
    case 'psa':
      return new PsaKeeper({ name, endpoint, token: settings.token, fetch, dial: ctx.dial, carUpload: ctx.carUpload })
    case 's3': {
      const bucket = settings.bucket ?? ''
      const accessKeyId = settings.accessKeyId ?? ''
      if (bucket === '' || accessKeyId === '') throw new InvalidInputError(`The S3 keeper "${name}" needs a bucket and an access key ID: complete it in Settings.`)
      return new S3Keeper({ name, endpoint, bucket, region: settings.region === '' ? undefined : settings.region, accessKeyId, secretAccessKey: settings.token, fetch })
    }
    default:
      throw new InvalidInputError(`The keeper "${name}" has an unknown kind "${String((settings as { kind: unknown }).kind)}": remove it in Settings and add it again.`)
  }
}

/** A connected peer that offers to pin, as a keeper (`peer:<peer id>`). */
export function peerKeeper (libp2p: PeerInit['libp2p'], peer: PeerInit['peer']): Keeper {
  return new PeerKeeper({ libp2p, peer })
}
