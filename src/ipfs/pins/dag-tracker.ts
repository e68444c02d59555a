/**
 * Remembers the links of every block written during an add, so its roots can be pinned without
 * reading the DAG back (`pinBlocks`). Only CIDs are kept (as pinned-block keys), never bytes:
 * about a hundred bytes per block.
 *
 * The DAG of a root is found by following links from it through the recorded blocks, so a block
 * written but not linked (the importer sometimes replaces a block it already wrote) is not pinned.
 * If a link leads to a block this add did not write, or a block has a codec it cannot read, the
 * DAG is unknown and `blocksOf` returns undefined: the caller then pins with Helia's walk.
 */
import * as dagPb from '@ipld/dag-pb'
import * as raw from 'multiformats/codecs/raw'
import { pinnedBlockKeyOf } from './pin-records.js'
import type { CID } from 'multiformats/cid'
import type { WritableStorage } from 'ipfs-unixfs-importer'

const NO_LINKS: readonly string[] = Object.freeze([])


export class DagTracker {
  /** pinned-block key → its children's keys; `null` when the block's links could not be read. */
  readonly #links = new Map<string, readonly string[] | null>()

  /** Note a block that is being (or has been) written. */
  record (cid: CID, bytes: Uint8Array | undefined): void {
    const key = pinnedBlockKeyOf(cid.multihash.bytes)
    if (this.#links.has(key)) return
    if (cid.code === raw.code) {
      this.#links.set(key, NO_LINKS)
    } else if (cid.code === dagPb.code && bytes !== undefined) {
      const links = dagPb.decode(bytes).Links
      this.#links.set(key, links.length === 0 ? NO_LINKS : links.map(l => pinnedBlockKeyOf(l.Hash.multihash.bytes)))
    } else {
      this.#links.set(key, null)
    }
  }

  /** A store that records every block put through it. */
  wrap (store: WritableStorage): WritableStorage {
    return {
      put: async (cid, bytes, options) => {
        this.record(cid, bytes instanceof Uint8Array ? bytes : undefined)
        return store.put(cid, bytes, options)
      }
    }
  }

  /** Every block key of `root`'s DAG (root first, each once), or undefined when it is not known. */
  blocksOf (root: CID): string[] | undefined {
    const rootKey = pinnedBlockKeyOf(root.multihash.bytes)
    const seen = new Set<string>([rootKey])
    const stack = [rootKey]
    while (stack.length > 0) {
      const links = this.#links.get(stack.pop()!)
      if (links === undefined || links === null) return undefined
      for (const child of links) {
        if (seen.has(child)) continue
        seen.add(child)
        stack.push(child)
      }
    }
    return [...seen]
  }

  get size (): number { return this.#links.size }
}
