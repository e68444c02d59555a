/**
 * carParts: a DAG as self-contained CAR parts. Every part reads back as a CAR naming the root,
 * holds whole verified blocks, stays under the size (unless one block alone is larger), only the
 * final one is `last`, and together they hold every block of the DAG exactly once.
 */
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { readCar } from '../../../src/ipfs/car/car.js'
import { walkDag } from '../../../src/ipfs/car/walk.js'
import { carParts } from '../../../src/ipfs/push/car-parts.js'
import { makeSource } from './keeper-fixtures.js'
import { pseudoRandom } from './helpers.js'
import type { CarPart } from '../../../src/ipfs/push/car-parts.js'

async function all (parts: AsyncIterable<CarPart>): Promise<CarPart[]> {
  const out: CarPart[] = []
  for await (const p of parts) out.push(p)
  return out
}

describe('carParts', () => {
  it('cuts a DAG into bounded, self-contained CARs that together hold every block once', async () => {
    const source = await makeSource('car-parts', 3_000_000)
    const root = source.file.root
    const maxBytes = 600_000
    const parts = await all(carParts(source.blockstore, root, { maxBytes }))
    expect(parts.length).toBeGreaterThan(4)
    expect(parts.map(p => p.index)).toEqual(parts.map((_, i) => i))
    expect(parts.map(p => p.last)).toEqual(parts.map((_, i) => i === parts.length - 1))
    const seen: string[] = []
    for (const part of parts) {
      expect(part.car.byteLength).toBeLessThanOrEqual(maxBytes)
      let roots: CID[] = []
      const blocks = []
      for await (const b of await readCar([part.car], { onRoots: r => { roots = r } })) blocks.push(b.cid.toString())
      expect(roots.map(r => r.toString())).toEqual([root.toString()])
      expect(blocks).toHaveLength(part.blocks)
      seen.push(...blocks)
    }
    const dag: string[] = []
    for await (const { cid } of walkDag(source.blockstore, root)) dag.push(cid.toString())
    expect(seen).toEqual(dag)
  })

  it('puts a block larger than a part alone in its own part', async () => {
    const { blockstore } = await makeSource('car-parts-big', 10)
    const bytes = pseudoRandom('one big block', 50_000)
    const cid = CID.createV1(raw.code, await sha256.digest(bytes))
    await blockstore.put(cid, bytes)
    const parts = await all(carParts(blockstore, cid, { maxBytes: 10_000 }))
    expect(parts).toHaveLength(1)
    expect(parts[0]).toMatchObject({ blocks: 1, index: 0, last: true })
    expect(parts[0]?.car.byteLength).toBeGreaterThan(50_000)
  })
})
