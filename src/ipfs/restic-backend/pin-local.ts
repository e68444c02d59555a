/**
 * Pinning a repository root that other devices share: the pin holds every block of the root that
 * this node has, and never fetches one it lacks. After a merge the root links to the packs other
 * devices wrote; fetching them just to pin would copy every device's backups onto every device.
 * What this node holds is the merged directory blocks it built and the files it wrote or read;
 * the rest stays pinned where it was written (that device, or the keepers it handed it to).
 */
import { createUnsafe } from 'multiformats/block'
import * as raw from 'multiformats/codecs/raw'
import { isPinned } from '../pins/pins.js'
import type { AbortOptions } from '../../core/options.js'
import type { GraphNode, GraphWalker, GraphWalkerComponents, GraphWalkerFactory, Helia } from '@helia/interface'
import type { CID } from 'multiformats/cid'

async function toBytes (chunks: AsyncIterable<Uint8Array> | Uint8Array | Promise<Uint8Array>): Promise<Uint8Array> {
  const value = await chunks
  if (value instanceof Uint8Array) return value
  const parts: Uint8Array[] = []
  for await (const c of value) parts.push(c)
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

/** Walks only blocks present in the local store (checked with `has`); raw leaves are not read. */
class LocalOnlyWalker implements GraphWalker {
  constructor (private readonly components: GraphWalkerComponents) {}

  async * walk<T = unknown> (root: CID, options: AbortOptions & { depth?: number } = {}): AsyncGenerator<GraphNode<T>> {
    const maxDepth = options.depth ?? Infinity
    const stack: Array<{ cid: CID, depth: number, path: CID[] }> = [{ cid: root, depth: 0, path: [root] }]
    while (stack.length > 0) {
      options.signal?.throwIfAborted()
      const { cid, depth, path } = stack.pop()!
      if (!await this.components.blockstore.has(cid, options)) continue
      if (cid.code === raw.code) {
        yield { block: { cid } as unknown as GraphNode<T>['block'], depth, path }
        continue
      }
      const bytes = await toBytes(this.components.blockstore.get(cid, { ...options, offline: true } as AbortOptions) as unknown as AsyncIterable<Uint8Array>)
      const block = createUnsafe({ cid, bytes, codec: await this.components.getCodec(cid.code) })
      yield { block: block as unknown as GraphNode<T>['block'], depth, path }
      if (depth < maxDepth) {
        const children = [...block.links()].map(([, c]) => c)
        for (let i = children.length - 1; i >= 0; i--) stack.push({ cid: children[i]!, depth: depth + 1, path: [...path, children[i]!] })
      }
    }
  }
}

export const localOnlyWalker: GraphWalkerFactory = (components) => new LocalOnlyWalker(components)

/** Pins `root` over the blocks this node holds (see above); a no-op when already pinned. */
export async function pinLocal (helia: Pick<Helia, 'pins' | 'blockstore'>, root: CID, metadata: Record<string, string>, options: AbortOptions = {}): Promise<void> {
  if (await isPinned(helia, root, options)) return
  options.signal?.throwIfAborted()
  // From here on the pin runs to the end (no signal), like `pin()`.
  for await (const _ of helia.pins.add(root, { offline: true, walker: localOnlyWalker, metadata } as Parameters<Helia['pins']['add']>[1])) { /* marked */ }
}
