/**
 * Reading restored files back: whether a file holds exactly a node's content, blob by blob (restic
 * 0.17's `restore --verify`, and its check before overwriting a file).
 */
import type { AbortOptions } from '../../core/options.js'
import { OVERHEAD } from '../crypto/key.js'
import type { Node } from '../repofile/tree.js'
import type { Repository } from '../repository/repository.js'
import { sha256Hex } from '../util/bytes.js'

/** Why `content` differs from the node's blobs, or undefined when it matches. */
export async function contentMismatch (repo: Repository, node: Node, content: AsyncIterable<Uint8Array>, options: AbortOptions = {}): Promise<string | undefined> {
  const ids = node.content ?? []
  let i = 0
  let offset = 0
  let buf: Uint8Array | undefined
  let filled = 0
  const need = (): number | undefined => {
    const id = ids[i]
    if (id === undefined) return undefined
    const loc = repo.index.get('data', id)
    if (loc === undefined) throw new Error(`data blob ${id.slice(0, 8)} is not in the index`)
    return loc.uncompressedLength ?? loc.length - OVERHEAD
  }
  for await (const piece of content) {
    options.signal?.throwIfAborted()
    let at = 0
    while (at < piece.length) {
      const size = need()
      if (size === undefined) return `it is larger than ${node.size ?? 0} bytes`
      buf ??= new Uint8Array(size)
      const n = Math.min(size - filled, piece.length - at)
      buf.set(piece.subarray(at, at + n), filled)
      filled += n
      at += n
      if (filled === size) {
        if (await sha256Hex(buf) !== ids[i]) return `unexpected content starting at offset ${offset}`
        offset += size
        i++
        buf = undefined
        filled = 0
      }
    }
  }
  if (i < ids.length || filled > 0) return `it is shorter than ${node.size ?? 0} bytes (${offset + filled} read)`
  return undefined
}
