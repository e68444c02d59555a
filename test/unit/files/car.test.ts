import { CarBlockIterator } from '@ipld/car/iterator'
import { CarWriter } from '@ipld/car/writer'
import * as raw from 'multiformats/codecs/raw'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { addAll } from '../../../src/ipfs/add/index.js'
import { BadBlockError, exportCar, importCar, InvalidCarError, MissingBlockError, TruncatedCarError, walkDag } from '../../../src/ipfs/car/index.js'
import { isPinned, listPins, PinBlockMissingError } from '../../../src/ipfs/pins/index.js'
import { useTestNodes, pseudoRandom } from './node.js'
import { text } from './helpers.js'
import type { Helia } from '@helia/interface'

const node = useTestNodes()

async function collect (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of source) parts.push(p)
  return Buffer.concat(parts)
}

/** Re-chunk bytes into pieces of `size`, to cross every boundary in the parser. */
function * pieces (bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size)
}

async function sampleDag (helia: Helia, profile: 'unixfs-v0-2015' | 'unixfs-v1-2025' = 'unixfs-v0-2015'): Promise<CID> {
  const [root] = await addAll(helia.blockstore, [
    { path: 'site' },
    { path: 'site/index.html', content: text('<h1>hi</h1>\n') },
    { path: 'site/données/été.bin', content: pseudoRandom(1_200_000, 11) },
    { path: 'site/empty.txt', content: [] }
  ], { profile })
  if (root === undefined) throw new Error('no root')
  return root.cid
}

describe('CAR export and import', () => {
  for (const profile of ['unixfs-v0-2015', 'unixfs-v1-2025'] as const) {
    it(`round trip (${profile}): same blocks, roots pinned, byte-identical re-export`, async () => {
      const a = await node()
      const root = await sampleDag(a.helia, profile)
      const car = Buffer.from(await collect(exportCar(a.blockstore, root)))

      // An independent reader (@ipld/car) agrees on roots and blocks.
      const iterator = await CarBlockIterator.fromIterable((async function * () { yield * pieces(car, 4096) })())
      expect((await iterator.getRoots()).map(String)).toEqual([root.toString()])
      const theirs: string[] = []
      for await (const b of iterator) theirs.push(b.cid.toString())
      const ours: string[] = []
      for await (const b of walkDag(a.blockstore, root)) ours.push(b.cid.toString())
      expect(theirs).toEqual(ours)

      const b = await node()
      const result = await importCar(b.helia, pieces(car, 7))
      expect(result.roots.map(String)).toEqual([root.toString()])
      expect(result.blocks).toBe(ours.length)
      expect(await isPinned(b.helia, root)).toBe(true)
      expect(Buffer.from(await collect(exportCar(b.blockstore, root))).equals(car)).toBe(true)
    })
  }

  it('imports a CAR written by @ipld/car, and a CARv2 wrapping it', async () => {
    const block = new TextEncoder().encode('raw block')
    const cid = CID.createV1(raw.code, await sha256.digest(block))
    const { writer, out } = CarWriter.create([cid])
    const written = collect(out)
    await writer.put({ cid, bytes: block })
    await writer.close()
    const v1 = await written

    const b = await node()
    expect((await importCar(b.helia, [v1])).roots.map(String)).toEqual([cid.toString()])

    // CARv2: pragma, 40-byte header (characteristics, data offset, data size, index offset), padding, v1 payload.
    const pragma = Uint8Array.from([0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x02])
    const header = new Uint8Array(40)
    const view = new DataView(header.buffer)
    const dataOffset = pragma.byteLength + 40 + 5
    view.setBigUint64(16, BigInt(dataOffset), true)
    view.setBigUint64(24, BigInt(v1.byteLength), true)
    view.setBigUint64(32, 0n, true)
    const v2 = Buffer.concat([pragma, header, new Uint8Array(5), v1])
    const c = await node()
    const result = await importCar(c.helia, pieces(v2, 3))
    expect(result.roots.map(String)).toEqual([cid.toString()])
    expect(result.blocks).toBe(1)
  })

  it('rejects a corrupt block, naming its CID and offset, and pins nothing', async () => {
    const a = await node()
    const root = await sampleDag(a.helia)
    const car = Buffer.from(await collect(exportCar(a.blockstore, root)))
    // Find a leaf of the big file and flip a byte in the middle of its data.
    const blocks = []
    for await (const b of walkDag(a.blockstore, root)) blocks.push(b)
    const victim = blocks.find(b => b.bytes.byteLength > 200_000)
    if (victim === undefined) throw new Error('no big block')
    // The last occurrence of a CID is its own block section (its parent, which links to it, comes first).
    const at = car.lastIndexOf(Buffer.from(victim.cid.bytes)) + victim.cid.bytes.byteLength + 1000
    car[at] = (car[at] ?? 0) ^ 0xff

    const b = await node()
    const err = await importCar(b.helia, pieces(car, 65_536)).then(() => undefined, (e: unknown) => e as BadBlockError)
    expect(err).toBeInstanceOf(BadBlockError)
    expect(err?.cid).toBe(victim.cid.toString())
    expect(err?.message).toContain(victim.cid.toString())
    const pins = []
    for await (const p of listPins(b.helia)) pins.push(p)
    expect(pins).toEqual([])
  })

  it('rejects a truncated CAR, naming the block it stops in and the byte offset', async () => {
    const a = await node()
    const root = await sampleDag(a.helia)
    const car = Buffer.from(await collect(exportCar(a.blockstore, root)))
    const blocks = []
    for await (const b of walkDag(a.blockstore, root)) blocks.push(b)
    const victim = blocks.find(b => b.bytes.byteLength > 200_000)
    if (victim === undefined) throw new Error('no big block')
    const cut = car.lastIndexOf(Buffer.from(victim.cid.bytes)) + victim.cid.bytes.byteLength + 500
    const b = await node()
    const err = await importCar(b.helia, pieces(car.subarray(0, cut), 10_000)).then(() => undefined, (e: unknown) => e as TruncatedCarError)
    expect(err).toBeInstanceOf(TruncatedCarError)
    expect(err?.message).toContain(victim.cid.toString())
    expect(err?.offset).toBe(cut)
    expect(await isPinned(b.helia, root)).toBe(false)

    // Cut inside the header: still a named truncation error.
    const err2 = await importCar(b.helia, [car.subarray(0, 20)]).then(() => undefined, (e: unknown) => e as TruncatedCarError)
    expect(err2).toBeInstanceOf(TruncatedCarError)
    expect(err2?.offset).toBe(20)
  })

  it('a CAR without the whole DAG imports with --no-pin, and refuses to pin its root otherwise', async () => {
    const a = await node()
    const root = await sampleDag(a.helia)
    const full = Buffer.from(await collect(exportCar(a.blockstore, root)))
    // Keep only the header and the root block.
    const rootBlock = (await walkDag(a.blockstore, root).next()).value
    if (rootBlock === undefined) throw new Error('no root block')
    // The root CID appears in the header, then (last) at the start of its own block section.
    const cidBytes = Buffer.from(rootBlock.cid.bytes)
    const end = full.lastIndexOf(cidBytes) + cidBytes.byteLength + rootBlock.bytes.byteLength
    const partial = full.subarray(0, end)

    const b = await node()
    expect((await importCar(b.helia, [partial], { pin: false })).blocks).toBe(1)
    const c = await node()
    const err = await importCar(c.helia, [partial]).then(() => undefined, (e: unknown) => e as Error)
    expect(err).toBeInstanceOf(PinBlockMissingError)
    expect(await isPinned(c.helia, root)).toBe(false)
  })

  it('rejects bytes that are not a CAR', async () => {
    const b = await node()
    const page = new TextEncoder().encode('<!doctype html>\n<html><body>' + 'This is a web page, not a CAR file. '.repeat(20) + '</body></html>\n')
    const err = await importCar(b.helia, [page]).then(() => undefined, (e: unknown) => e as InvalidCarError)
    expect(err).toBeInstanceOf(InvalidCarError)
    expect(err?.offset).toBe(0)
  })

  it('export fails with MissingBlockError naming the missing block', async () => {
    const a = await node()
    const root = await sampleDag(a.helia)
    const blocks = []
    for await (const b of walkDag(a.blockstore, root)) blocks.push(b.cid)
    const victim = blocks[blocks.length - 1]
    if (victim === undefined) throw new Error('no block')
    await a.blockstore.delete(victim)
    const err = await collect(exportCar(a.blockstore, root)).then(() => undefined, (e: unknown) => e as MissingBlockError)
    expect(err).toBeInstanceOf(MissingBlockError)
    expect(err?.cid).toBe(victim.toString())
  })
})
