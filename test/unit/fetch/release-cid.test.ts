import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryBlockstore } from 'blockstore-core'
import { afterAll, describe, expect, it } from 'vitest'
import { RELEASE_PROFILE, releaseCid } from '../../../scripts/release-cid.js'
import { addAll } from '../../../src/ipfs/add/index.js'
import { readCar } from '../../../src/ipfs/car/index.js'
import { fetchBytes } from '../../../src/ipfs/fetch/index.js'
import type { CID } from 'multiformats/cid'

const tmp = mkdtempSync(join(tmpdir(), 'cairn-release-'))
afterAll(() => { rmSync(tmp, { recursive: true, force: true, maxRetries: 5 }) })

describe('release CID and CAR of dist/', () => {
  it('gives the unixfs-v1-2025 CID of the folder and a CAR holding exactly its DAG', async () => {
    const dist = join(tmp, 'dist')
    mkdirSync(join(dist, 'assets'), { recursive: true })
    const files: Record<string, string> = {
      'index.html': '<!doctype html><script type="module" src="./assets/app.js"></script>',
      'assets/app.js': 'console.log("app")\n'.repeat(1000),
      'manifest.webmanifest': '{"name":"x"}'
    }
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dist, name), text)
    const carPath = join(tmp, 'dist.car')
    const result = await releaseCid(dist, carPath)

    // The same tree, added independently (not through the file walker): same CID.
    const expected = await addAll(new MemoryBlockstore(), Object.entries(files).map(([name, text]) => ({ path: `dist/${name}`, content: [new TextEncoder().encode(text)] })), { profile: RELEASE_PROFILE })
    expect(result.cid.toString()).toBe(expected[0]!.cid.toString())
    expect(result.cid.toString()).toMatch(/^bafybei/)

    // The CAR: the root first, every block verified, and enough to read every file back.
    const bytes = readFileSync(carPath)
    expect(bytes.byteLength).toBe(result.carBytes)
    let roots: CID[] = []
    const store = new MemoryBlockstore()
    let count = 0
    for await (const block of await readCar([bytes], { onRoots: r => { roots = r } })) {
      await store.put(block.cid, block.bytes)
      count++
    }
    expect(roots.map(r => r.toString())).toEqual([result.cid.toString()])
    expect(count).toBe(result.blocks)
    for (const [name, text] of Object.entries(files)) {
      const got = await fetchBytes({ blockstore: store, gateways: [] }, `/ipfs/${result.cid.toString()}/${name}`, { offline: true })
      expect(new TextDecoder().decode(got.bytes)).toBe(text)
    }
  })

  it('says to build first when the folder is missing', async () => {
    await expect(releaseCid(join(tmp, 'nope'), join(tmp, 'x.car'))).rejects.toThrow(/run `vite build` first/)
  })
})
