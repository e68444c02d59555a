/**
 * Streams a CARv1 (`order=dfs`, no duplicates) of every block under a root, from a local
 * blockstore only. Written here rather than with `@helia/car` because its graph walker turns a
 * missing block into an unhandled rejection; here a missing block simply ends the stream with
 * an error.
 */
import { carHeaderBytes as carHeader, carSectionBytes as carSection } from '../../ipfs/gateway/car.js'
import { createUnsafe } from 'multiformats/block'
import * as raw from 'multiformats/codecs/raw'
import type { Blockstore } from 'interface-blockstore'
import type { BlockCodec } from 'multiformats/codecs/interface'
import type { CID } from 'multiformats/cid'

export interface ExportCarInit {
  blockstore: Pick<Blockstore, 'get'>
  getCodec: (code: number) => BlockCodec<number, unknown> | Promise<BlockCodec<number, unknown>>
  signal?: AbortSignal
}

const IDENTITY = 0x00

export async function readBlock (blockstore: Pick<Blockstore, 'get'>, cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
  if (cid.multihash.code === IDENTITY) return cid.multihash.digest
  const chunks: Uint8Array[] = []
  let length = 0
  for await (const chunk of blockstore.get(cid, signal === undefined ? {} : { signal })) {
    chunks.push(chunk)
    length += chunk.byteLength
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0]
  const out = new Uint8Array(length)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}

/** Yields the CAR bytes: the header, then each block depth-first in link order. Throws on a missing block. */
export async function * exportCar (root: CID, init: ExportCarInit): AsyncGenerator<Uint8Array> {
  yield carHeader(root)
  const seen = new Set<string>()
  const stack: CID[] = [root]
  while (stack.length > 0) {
    init.signal?.throwIfAborted()
    const cid = stack.pop()
    if (cid === undefined) break
    const key = cid.toString()
    if (seen.has(key)) continue
    seen.add(key)
    const bytes = await readBlock(init.blockstore, cid, init.signal)
    yield carSection(cid, bytes)
    if (cid.code === raw.code) continue
    const block = createUnsafe({ cid, bytes, codec: await init.getCodec(cid.code) })
    const links = [...block.links()].map(([, link]) => link)
    for (let i = links.length - 1; i >= 0; i--) {
      const link = links[i]
      if (link !== undefined) stack.push(link)
    }
  }
}
