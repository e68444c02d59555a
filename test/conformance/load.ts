/** Loads the fixture CARs into a blockstore (every block hashed against its CID first). */
import { sha256 } from 'multiformats/hashes/sha2'
import { FIXTURE_CARS, openFixture } from './fixtures.js'
import type { CID } from 'multiformats/cid'

export interface PutBlockstore { put: (cid: CID, bytes: Uint8Array) => unknown }

export async function loadFixtures (blockstore: PutBlockstore): Promise<number> {
  let count = 0
  for (const name of FIXTURE_CARS) {
    for (const block of (await openFixture(name)).blocks) {
      if (block.cid.multihash.code === sha256.code) {
        const digest = await sha256.digest(block.bytes)
        if (!digest.bytes.every((b, i) => b === block.cid.multihash.bytes[i])) throw new Error(`fixture ${name}: block ${block.cid.toString()} does not match its CID`)
      }
      await blockstore.put(block.cid, block.bytes)
      count++
    }
  }
  return count
}
