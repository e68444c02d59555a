/**
 * What the local network's Kubo RPC subset (`kubo-rpc.ts`) and IPFS Cluster REST subset
 * (`cluster-api.ts`) share: the bearer token check, streaming a CAR upload into the blockstore
 * (every block's hash checked against its CID before it is stored), and pinning a root whose DAG
 * is complete locally. Both answer only the token's holders, and from a browser only the origins
 * on the allow-list (cors.ts, `isPrivatePath` in http-server.ts).
 */
import { timingSafeEqual } from 'node:crypto'
import { readCar } from '../../ipfs/car/car.js'
import { isPinned, pin } from '../../ipfs/pins/pins.js'
import type { LocalRouter } from './local-router.js'
import type { Helia } from '@helia/interface'
import type { PeerId } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

/** Largest upload (one multipart request) the Kubo and Cluster subsets take. Streamed, not held. */
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024

export interface KeeperApiInit {
  /** The bearer token every request must carry (the local network's pinning token). */
  token: string
  /** Pins (Helia's) and the blockstore blocks are written through (announced to bitswap). */
  helia: Pick<Helia, 'pins' | 'blockstore'>
  /** The peer's own blockstore: "complete" and "held" mean held locally, nothing is fetched. */
  blockstore: Pick<Blockstore, 'has' | 'get'>
  /** Where IPNS records go (`routing/put`) and are read back (`routing/get`). */
  router: Pick<LocalRouter, 'accept' | 'find'>
  peerId: PeerId
  /** The peer's multiaddrs (`…/p2p/<id>`). */
  addresses: () => string[]
  /** Largest upload per request. Default 64 MiB. */
  maxUploadBytes?: number
}

export function bearerMatches (header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '')
  if (m?.[1] === undefined) return false
  const given = Buffer.from(m[1].trim())
  const expected = Buffer.from(token)
  return given.byteLength === expected.byteLength && timingSafeEqual(given, expected)
}

export interface StoredCar {
  roots: CID[]
  blocks: number
  bytes: number
}

/**
 * Reads a CAR stream, checks each block against its CID, and stores it. A block that does not
 * match its CID stops the import with `BadBlockError` (blocks before it stay stored, unpinned,
 * like Kubo's `dag import`; nothing is pinned).
 */
export async function storeCar (init: KeeperApiInit, source: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<StoredCar> {
  let roots: CID[] = []
  let blocks = 0
  let bytes = 0
  for await (const block of await readCar(source, { onRoots: r => { roots = r } }, { signal })) {
    await init.helia.blockstore.put(block.cid, block.bytes, { signal })
    blocks++
    bytes += block.bytes.byteLength
  }
  return { roots, blocks, bytes }
}

/** Pins `root` recursively once its whole DAG is held locally (throws naming the missing block otherwise). */
export async function pinComplete (init: KeeperApiInit, root: CID, metadata?: Record<string, string>): Promise<void> {
  const node = { pins: init.helia.pins, blockstore: init.blockstore as Pick<Helia, 'blockstore'>['blockstore'] }
  await pin(node, root, metadata !== undefined ? { metadata } : {})
}

export async function isPinnedRoot (init: KeeperApiInit, root: CID): Promise<boolean> {
  return await isPinned({ pins: init.helia.pins, blockstore: init.helia.blockstore }, root)
}
