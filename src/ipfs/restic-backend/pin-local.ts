/**
 * Pinning a repository root that other devices share: the pin holds every block of the root that
 * this node has, and never fetches one it lacks. After a merge the root links to the packs other
 * devices wrote; fetching them just to pin would copy every device's backups onto every device.
 * What this node holds is the merged directory blocks it built and the files it wrote or read;
 * the rest stays pinned where it was written (that device, or the keepers it handed it to).
 */
import { isPinned } from '../pins/pins.js'
import { localOnlyWalker } from '../pins/leaf-skipping-walker.js'
import type { AbortOptions } from '../../core/options.js'
import type { Helia } from '@helia/interface'
import type { CID } from 'multiformats/cid'

/** Pins `root` over the blocks this node holds (see above); a no-op when already pinned. */
export async function pinLocal (helia: Pick<Helia, 'pins' | 'blockstore'>, root: CID, metadata: Record<string, string>, options: AbortOptions = {}): Promise<void> {
  if (await isPinned(helia, root, options)) return
  options.signal?.throwIfAborted()
  // From here on the pin runs to the end (no signal), like `pin()`.
  for await (const _ of helia.pins.add(root, { offline: true, walker: localOnlyWalker, metadata } as Parameters<Helia['pins']['add']>[1])) { /* marked */ }
}
