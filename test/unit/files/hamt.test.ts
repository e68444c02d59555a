/**
 * HAMT sharding on both sides of the 256 KiB threshold, for both profiles.
 *
 * No published vector covers a sharded directory, so the expectations come from Kubo's algorithm
 * (boxo `ipld/unixfs/io/directory.go`, `needsToSwitchByLinkSize` and `needsToSwitchByBlockSize`):
 * - unixfs-v0-2015 measures Σ(len(name) + len(cid bytes)) over the links (`linksize.LinkSizeFunction`);
 * - unixfs-v1-2025 measures the exact serialized dag-pb block;
 * - both switch to a HAMT only when the measure is strictly greater than 262144 ("> not >=": a
 *   directory exactly at the threshold stays basic).
 * The directories below are built to land exactly on 262144 and on 262145, and the measure is
 * recomputed here from the stored block (not from the code under test).
 */
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { UnixFS } from 'ipfs-unixfs'
import { exporter } from 'ipfs-unixfs-exporter'
import { describe, expect, it } from 'vitest'
import { addAll } from '../../../src/ipfs/add/index.js'
import type { AddEntry, ProfileName } from '../../../src/ipfs/add/index.js'
import type { CID } from 'multiformats/cid'

const THRESHOLD = 262_144

async function getBlock (bs: MemoryBlockstore, cid: CID): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of bs.get(cid)) parts.push(p)
  return Buffer.concat(parts)
}

async function rootNode (bs: MemoryBlockstore, cid: CID): Promise<{ block: Uint8Array, node: dagPb.PBNode, type: string }> {
  const block = await getBlock(bs, cid)
  const node = dagPb.decode(block)
  return { block, node, type: UnixFS.unmarshal(node.Data ?? new Uint8Array()).type }
}

/** `count` empty files named with `nameLength` characters (zero-padded index plus filler). */
function names (count: number, nameLength: number): string[] {
  return Array.from({ length: count }, (_, i) => String(i).padStart(6, '0').padEnd(nameLength, 'x'))
}

function files (dir: string, list: string[]): AddEntry[] {
  return [{ path: dir }, ...list.map(n => ({ path: `${dir}/${n}`, content: [] }))]
}

async function countEntries (bs: MemoryBlockstore, cid: CID): Promise<number> {
  const entry = await exporter(cid, bs)
  if (entry.type !== 'directory') throw new Error('not a directory')
  let n = 0
  for await (const _ of entry.entries()) n++
  return n
}

async function add (profile: ProfileName, entries: AddEntry[]): Promise<{ bs: MemoryBlockstore, cid: CID }> {
  const bs = new MemoryBlockstore()
  const [root] = await addAll(bs, entries, { profile })
  if (root === undefined) throw new Error('no root')
  return { bs, cid: root.cid }
}

describe('HAMT threshold, unixfs-v0-2015 (links-bytes estimate)', () => {
  // CIDv0 of a dag-pb file is 34 bytes; a 30-byte name makes each link count 64; 4096 × 64 = 262144.
  const atThreshold = names(4096, 30)

  it('stays a flat directory at exactly 262144 estimated bytes', async () => {
    const { bs, cid } = await add('unixfs-v0-2015', files('d', atThreshold))
    const { node, type } = await rootNode(bs, cid)
    expect(type).toBe('directory')
    const estimate = node.Links.reduce((acc, l) => acc + new TextEncoder().encode(l.Name ?? '').byteLength + l.Hash.bytes.byteLength, 0)
    expect(estimate).toBe(THRESHOLD)
    expect(cid.version).toBe(0)
  })

  it('becomes a HAMT one byte over (262145)', async () => {
    const over = [...atThreshold.slice(1), atThreshold[0] + 'y']
    const { bs, cid } = await add('unixfs-v0-2015', files('d', over))
    const { type } = await rootNode(bs, cid)
    expect(type).toBe('hamt-sharded-directory')
    expect(await countEntries(bs, cid)).toBe(4096)
  })

  it('counts sub-directory links too (Kubo does; the stock JS builder does not)', async () => {
    // 4095 file links (262080) + one 30-char sub-directory link (64) = 262144: flat.
    const base = names(4095, 30)
    const flat = await add('unixfs-v0-2015', [...files('d', base), { path: 'd/' + 'z'.repeat(30) }, { path: 'd/' + 'z'.repeat(30) + '/f', content: [] }])
    expect((await rootNode(flat.bs, flat.cid)).type).toBe('directory')
    // A 31-char sub-directory name takes it to 262145: Kubo shards it.
    const sharded = await add('unixfs-v0-2015', [...files('d', base), { path: 'd/' + 'z'.repeat(31) }, { path: 'd/' + 'z'.repeat(31) + '/f', content: [] }])
    expect((await rootNode(sharded.bs, sharded.cid)).type).toBe('hamt-sharded-directory')
    expect(await countEntries(sharded.bs, sharded.cid)).toBe(4096)
  })
})

describe('HAMT threshold, unixfs-v1-2025 (serialized block bytes)', () => {
  // An empty file is a 36-byte CIDv1 raw leaf with Tsize 0. Each link serializes to
  // 2 + (2 + 36) + (2 + nameLen) + 2 bytes (for nameLen < 128), and the Data field is 4 bytes.
  // With 58-byte names a link is 102 bytes: 2570 × 102 + 4 = 262144.
  const linkBytes = (nameLen: number): number => 2 + 38 + 2 + nameLen + 2
  it('link size arithmetic used below is right', () => {
    expect(linkBytes(58)).toBe(102)
    expect(2570 * 102 + 4).toBe(THRESHOLD)
  })

  it('stays a flat directory when the block is exactly 262144 bytes', async () => {
    const { bs, cid } = await add('unixfs-v1-2025', files('d', names(2570, 58)))
    const { block, type } = await rootNode(bs, cid)
    expect(type).toBe('directory')
    expect(block.byteLength).toBe(THRESHOLD)
    expect(cid.version).toBe(1)
  })

  it('becomes a HAMT when the block would be 262145 bytes', async () => {
    const list = names(2570, 58)
    list[0] = list[0] + 'y'
    const { bs, cid } = await add('unixfs-v1-2025', files('d', list))
    const { type } = await rootNode(bs, cid)
    expect(type).toBe('hamt-sharded-directory')
    expect(await countEntries(bs, cid)).toBe(2570)
  })

  it('measures the final sub-directory link, Tsize included', async () => {
    // 2569 empty files (262042 with the Data field) + a sub-directory link. The sub-directory holds
    // one file of 5 bytes, so its Tsize is > 0 and only the final DAG says how large the link is.
    const base = names(2569, 58)
    const sub = (name: string): AddEntry[] => [{ path: `d/${name}` }, { path: `d/${name}/f`, content: [new Uint8Array(5)] }]
    const flat = await add('unixfs-v1-2025', [...files('d', base), ...sub('s')])
    const flatRoot = await rootNode(flat.bs, flat.cid)
    expect(flatRoot.type).toBe('directory')
    const room = THRESHOLD - flatRoot.block.byteLength
    // Lengthen the sub-directory's name to exactly fill the block, then by one more byte.
    const exact = await add('unixfs-v1-2025', [...files('d', base), ...sub('s'.repeat(1 + room))])
    const exactRoot = await rootNode(exact.bs, exact.cid)
    expect(exactRoot.block.byteLength).toBe(THRESHOLD)
    expect(exactRoot.type).toBe('directory')
    const over = await add('unixfs-v1-2025', [...files('d', base), ...sub('s'.repeat(2 + room))])
    expect((await rootNode(over.bs, over.cid)).type).toBe('hamt-sharded-directory')
  })
})
