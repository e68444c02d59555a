import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { pseudoRandomBytes } from '../fetch/helpers.js'
import type { Blockstore } from 'interface-blockstore'

/** Deterministic pseudo-random bytes seeded by a string, so each test DAG is distinct and repeatable. */
export function pseudoRandom (seed: string, length: number): Uint8Array {
  let x = 2166136261
  for (const ch of seed) x = Math.imul(x ^ ch.charCodeAt(0), 16777619) >>> 0
  return pseudoRandomBytes(length, x)
}

/**
 * Stores a two-level dag-pb DAG: a root linking `branches` nodes, each linking `leavesPerBranch`
 * raw leaves of `leafBytes`. Returns the root and every CID in it.
 */
export async function makeDag (blockstore: Pick<Blockstore, 'put'>, seed: string, { branches = 2, leavesPerBranch = 3, leafBytes = 20_000 } = {}): Promise<{ root: CID, cids: CID[], bytes: number }> {
  const cids: CID[] = []
  let bytes = 0
  const branchLinks: dagPb.PBLink[] = []
  for (let b = 0; b < branches; b++) {
    const links: dagPb.PBLink[] = []
    for (let l = 0; l < leavesPerBranch; l++) {
      const data = pseudoRandom(`${seed}/${b}/${l}`, leafBytes)
      const cid = CID.createV1(raw.code, await sha256.digest(data))
      await blockstore.put(cid, data)
      cids.push(cid)
      bytes += data.byteLength
      links.push({ Hash: cid, Name: `leaf-${l}`, Tsize: data.byteLength })
    }
    const node = dagPb.encode(dagPb.prepare({ Links: links }))
    const cid = CID.createV1(dagPb.code, await sha256.digest(node))
    await blockstore.put(cid, node)
    cids.push(cid)
    bytes += node.byteLength
    branchLinks.push({ Hash: cid, Name: `branch-${b}`, Tsize: node.byteLength })
  }
  const rootBytes = dagPb.encode(dagPb.prepare({ Links: branchLinks }))
  const root = CID.createV1(dagPb.code, await sha256.digest(rootBytes))
  await blockstore.put(root, rootBytes)
  cids.push(root)
  bytes += rootBytes.byteLength
  return { root, cids, bytes }
}

/** Polls `fn` until it returns true, or fails after `ms`. */
export async function until (fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
