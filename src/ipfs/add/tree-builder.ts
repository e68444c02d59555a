/**
 * Builds the directory part of an import the way Kubo does.
 *
 * The importer's own tree builder decides on HAMT sharding while entries arrive, and counts a
 * sub-directory as 0 bytes (it has no CID until it is flushed) and never re-checks after flushing.
 * Kubo (boxo `DynamicDirectory`) counts a sub-directory's link from the moment it exists. So a
 * directory whose files alone stay under 256 KiB but whose files plus sub-directory links go over
 * it is sharded by Kubo and left flat by the stock builder.
 *
 * This builder collects the whole tree first (CIDs and sizes only, never file bytes) and then
 * flushes it bottom-up: each directory is measured with all its final links and compared against
 * the threshold once. During an add every link only grows (names are added, sizes only increase),
 * so the final measure is the largest one Kubo ever saw, and Kubo never switches a HAMT back to a
 * flat directory while adding. Both builders therefore agree with Kubo's result.
 *
 * HAMT nodes themselves are laid out by the importer's `DirSharded` (murmur3-x64-64, fanout 256,
 * links-first), which is what js-ipfs interop-tested against go-ipfs.
 */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { DirSharded, dataFieldSerializedSize, linkSerializedSize, utf8ByteLength } from 'ipfs-unixfs-importer/utils'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { InvalidAddEntryError } from './errors.js'
import type { Profile } from './profiles.js'
import type { ImportResult, InProgressImportResult, TreeBuilder, WritableStorage } from 'ipfs-unixfs-importer'
import type { Mtime } from 'ipfs-unixfs'

interface Leaf {
  kind: 'leaf'
  cid: CID
  size: bigint
}

interface TreeDir {
  kind: 'dir'
  path: string
  children: Map<string, Leaf | TreeDir>
  mode?: number | undefined
  mtime?: Mtime | undefined
}

export interface TreeBuilderOptions {
  profile: Profile
  wrapWithDirectory: boolean
  signal?: AbortSignal | undefined
}

/** Split like the importer does: on `/` unless escaped as `\/`, dropping empty and `.` parts. */
export function pathComponents (path: string): string[] {
  return path.split(/(?<!\\)\//).filter(p => p !== '' && p !== '.')
}

/** The size Kubo compares with the HAMT threshold, for a flat directory with these links. */
export function estimateDirectorySize (
  profile: Profile,
  links: Iterable<{ name: string, cid: CID, size: bigint }>,
  mode?: number,
  mtime?: Mtime
): number {
  let total = profile.shardSplitStrategy === 'block-bytes' ? dataFieldSerializedSize(mode, mtime) : 0
  for (const link of links) {
    const nameBytes = utf8ByteLength(link.name)
    total += profile.shardSplitStrategy === 'block-bytes'
      ? linkSerializedSize(nameBytes, link.cid.byteLength, Number(link.size))
      : nameBytes + link.cid.byteLength
  }
  return total
}

function newDir (path: string): TreeDir {
  return { kind: 'dir', path, children: new Map() }
}

export function kuboTreeBuilder (options: TreeBuilderOptions): TreeBuilder {
  const { profile } = options
  const persistOptions = { cidVersion: profile.cidVersion, signal: options.signal }

  async function persist (block: Uint8Array, blockstore: WritableStorage): Promise<CID> {
    const cid = CID.create(profile.cidVersion, dagPb.code, await sha256.digest(block))
    await blockstore.put(cid, block, { signal: options.signal })
    return cid
  }

  async function * flush (dir: TreeDir, blockstore: WritableStorage): AsyncGenerator<ImportResult> {
    const links: Array<{ name: string, cid: CID, size: bigint }> = []
    for (const [name, child] of dir.children) {
      if (child.kind === 'leaf') {
        links.push({ name, cid: child.cid, size: child.size })
        continue
      }
      let last: ImportResult | undefined
      for await (const result of flush(child, blockstore)) {
        last = result
        yield result
      }
      if (last === undefined) throw new Error(`directory ${child.path} produced no node`)
      links.push({ name, cid: last.cid, size: last.size })
    }
    options.signal?.throwIfAborted()

    if (estimateDirectorySize(profile, links, dir.mode, dir.mtime) > profile.shardSplitThresholdBytes) {
      const shard = new DirSharded({ root: false, dir: true, path: dir.path, dirty: true, flat: false, mode: dir.mode, mtime: dir.mtime }, {
        ...persistOptions,
        shardFanoutBits: profile.shardFanoutBits,
        fieldOrder: 'links-first'
      })
      for (const link of links) await shard.put(link.name, { cid: link.cid, size: link.size })
      let last: ImportResult | undefined
      for await (const result of shard.flush(blockstore)) last = result
      if (last === undefined) throw new Error(`sharded directory ${dir.path} produced no node`)
      yield { ...last, path: dir.path }
      return
    }

    const unixfs = new UnixFS({ type: 'directory', mode: dir.mode, mtime: dir.mtime })
    const block = dagPb.encode(dagPb.prepare({
      Data: unixfs.marshal(),
      Links: links.map(l => ({ Name: l.name, Hash: l.cid, Tsize: Number(l.size) }))
    }))
    const cid = await persist(block, blockstore)
    const size = links.reduce((acc, l) => acc + l.size, BigInt(block.byteLength))
    yield { cid, size, path: dir.path, unixfs }
  }

  return async function * treeBuilder (source: AsyncIterable<InProgressImportResult>, blockstore: WritableStorage): AsyncGenerator<ImportResult> {
    const root = newDir('')

    for await (const entry of source) {
      const parts = pathComponents(entry.path ?? '')
      const isDir = entry.unixfs?.isDirectory() === true
      if (parts.length === 0) {
        if (isDir) throw new InvalidAddEntryError('A directory entry needs a name: give it a path such as "photos".')
        if (options.wrapWithDirectory) throw new InvalidAddEntryError('A file without a name cannot be wrapped in a directory: give every entry a path.')
        yield entry
        continue
      }

      let parent = root
      for (let i = 0; i < parts.length - 1; i++) {
        const name = parts[i] as string
        const existing = parent.children.get(name)
        if (existing?.kind === 'dir') {
          parent = existing
        } else if (existing === undefined) {
          const dir = newDir(parts.slice(0, i + 1).join('/'))
          parent.children.set(name, dir)
          parent = dir
        } else {
          throw new InvalidAddEntryError(`"${parts.slice(0, i + 1).join('/')}" is both a file and a directory in this add: rename one of them.`)
        }
      }

      const name = parts[parts.length - 1] as string
      const existing = parent.children.get(name)
      if (isDir) {
        if (existing?.kind === 'leaf') {
          throw new InvalidAddEntryError(`"${parts.join('/')}" is both a file and a directory in this add: rename one of them.`)
        }
        const dir = existing ?? newDir(parts.join('/'))
        dir.mode = entry.unixfs?.mode
        dir.mtime = entry.unixfs?.mtime
        parent.children.set(name, dir)
      } else {
        if (existing !== undefined) {
          throw new InvalidAddEntryError(`"${parts.join('/')}" appears twice in this add: every path must be unique.`)
        }
        parent.children.set(name, { kind: 'leaf', cid: entry.cid, size: entry.size })
        yield entry
      }
    }

    if (options.wrapWithDirectory) {
      yield * flush(root, blockstore)
    } else {
      for (const child of root.children.values()) {
        if (child.kind === 'dir') yield * flush(child, blockstore)
      }
    }
  }
}
