/**
 * A graph walker for pinning that never reads raw leaves: a raw block has no links, so pinning
 * needs only its CID. Helia's default walker reads every block, which for a large file means
 * reading the whole file back from IndexedDB just to pin it. The local-only variant also skips
 * every block the store lacks and never fetches one (see restic-backend/pin-local.ts).
 */
import { createUnsafe } from 'multiformats/block'
import * as raw from 'multiformats/codecs/raw'
import type { GraphNode, GraphWalker, GraphWalkerComponents, GraphWalkerFactory } from '@helia/interface'
import type { CID } from 'multiformats/cid'
import type { AbortOptions } from '../../core/options.js'

async function toBytes (chunks: AsyncIterable<Uint8Array> | Uint8Array | Promise<Uint8Array>): Promise<Uint8Array> {
  const value = await chunks
  if (value instanceof Uint8Array) return value
  const parts: Uint8Array[] = []
  let size = 0
  for await (const c of value) { parts.push(c); size += c.byteLength }
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(size)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

class LeafSkippingWalker implements GraphWalker {
  constructor (private readonly components: GraphWalkerComponents, private readonly localOnly: boolean) {}

  async * walk<T = unknown> (root: CID, options: AbortOptions & { depth?: number } = {}): AsyncGenerator<GraphNode<T>> {
    const maxDepth = options.depth ?? Infinity
    const stack: Array<{ cid: CID, depth: number, path: CID[] }> = [{ cid: root, depth: 0, path: [root] }]
    while (stack.length > 0) {
      options.signal?.throwIfAborted()
      const { cid, depth, path } = stack.pop()!
      if (this.localOnly && !await this.components.blockstore.has(cid, options)) continue
      if (cid.code === raw.code) {
        // Present in the store is all a pin needs; the bytes are not read.
        yield { block: { cid } as unknown as GraphNode<T>['block'], depth, path }
        continue
      }
      const get = this.localOnly ? { ...options, offline: true } as AbortOptions : options
      const bytes = await toBytes(this.components.blockstore.get(cid, get) as unknown as AsyncIterable<Uint8Array>)
      const block = createUnsafe({ cid, bytes, codec: await this.components.getCodec(cid.code) })
      yield { block: block as unknown as GraphNode<T>['block'], depth, path }
      if (depth < maxDepth) {
        const children = [...block.links()].map(([, c]) => c)
        for (let i = children.length - 1; i >= 0; i--) stack.push({ cid: children[i]!, depth: depth + 1, path: [...path, children[i]!] })
      }
    }
  }
}

export const leafSkippingWalker: GraphWalkerFactory = (components) => new LeafSkippingWalker(components, false)
/** Walks only blocks present in the local store (checked with `has`); raw leaves are not read. */
export const localOnlyWalker: GraphWalkerFactory = (components) => new LeafSkippingWalker(components, true)
