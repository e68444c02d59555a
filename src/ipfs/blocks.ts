/**
 * Raw blocks: put bytes as a raw-codec block, get a block (from the local store or, through
 * bitswap, from connected peers).
 */
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { Blockstore } from 'interface-blockstore'
import type { AbortOptions } from '../core/options.js'

export async function putRawBlock (blockstore: Blockstore, bytes: Uint8Array, options: AbortOptions = {}): Promise<CID> {
  const cid = CID.createV1(raw.code, await sha256.digest(bytes))
  await blockstore.put(cid, bytes, options)
  return cid
}

export async function getBlock (blockstore: Blockstore, cid: CID, options: AbortOptions = {}): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of blockstore.get(cid, options)) {
    chunks.push(chunk)
    size += chunk.byteLength
  }
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) { out.set(c, offset); offset += c.byteLength }
  return out
}
