/**
 * SmallFileGroups: small files read in groups give each file exactly its own bytes (empty files,
 * the same File twice, large files left to streaming), and an add through them gives the same
 * CIDs as the bytes themselves.
 */
import { describe, expect, it } from 'vitest'
import { addAll } from '../../../src/ipfs/add/index.js'
import { SmallFileGroups } from '../../../src/workers/small-files.js'
import { BlackHoleBlockstore } from 'blockstore-core/black-hole'

function file (i: number, size: number): File {
  const bytes = new Uint8Array(size)
  for (let j = 0; j < size; j++) bytes[j] = (i * 31 + j * 7) & 0xff
  return new File([bytes], `f${i}`)
}

async function bytesOf (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of source) parts.push(new Uint8Array(p))
  return new Uint8Array(await new Blob(parts as Array<Uint8Array<ArrayBuffer>>).arrayBuffer())
}

describe('SmallFileGroups', () => {
  it('gives every grouped file its own bytes, in groups bounded by count and bytes', async () => {
    const files = [file(0, 0), file(1, 100), file(2, 5000), file(3, 70_000), file(4, 4096), file(5, 1)]
    const dup = files[1]!
    const groups = new SmallFileGroups([...files, dup], { maxFileBytes: 64 * 1024, maxFiles: 2, maxBytes: 6000 })
    expect(groups.has(files[3]!)).toBe(false)
    for (const f of [...files.filter(f => f.size <= 64 * 1024), dup]) {
      expect(await bytesOf(groups.content(f))).toEqual(new Uint8Array(await f.arrayBuffer()))
    }
  })

  it('an add of small files through the groups has the same CIDs as their bytes', async () => {
    const files = Array.from({ length: 600 }, (_, i) => file(i, (i * 97) % 9000))
    for (const profile of ['unixfs-v0-2015', 'unixfs-v1-2025'] as const) {
      const groups = new SmallFileGroups(files)
      const viaGroups = await addAll(new BlackHoleBlockstore(), files.map((f, i) => ({ path: `d/f${i}`, content: groups.content(f) })), { profile })
      const direct = await addAll(new BlackHoleBlockstore(), await Promise.all(files.map(async (f, i) => ({ path: `d/f${i}`, content: [new Uint8Array(await f.arrayBuffer())] }))), { profile })
      expect(viaGroups.map(r => r.cid.toString())).toEqual(direct.map(r => r.cid.toString()))
    }
  })
})
