/**
 * The three-way merge of repository roots: the pure rule over one directory's entries, and whole
 * roots built with real UnixFS directories in a memory blockstore (deletions on either side,
 * data/xx subfolders, a conflicting config, the key file).
 */
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import { RepoConfigConflictError } from '../../../src/ipfs/restic-backend/errors.js'
import { mergeEntries, mergeRoots } from '../../../src/ipfs/restic-backend/merge.js'
import type { MergeEntry } from '../../../src/ipfs/restic-backend/merge.js'

const te = new TextEncoder()
async function bytes (v: unknown): Promise<Uint8Array> {
  const value = await (v as Promise<Uint8Array | AsyncIterable<Uint8Array>>)
  if (value instanceof Uint8Array) return value
  const parts: Uint8Array[] = []
  for await (const p of value) parts.push(p)
  return new Uint8Array(Buffer.concat(parts))
}
async function cidOf (s: string): Promise<CID> { return CID.createV1(raw.code, await sha256.digest(te.encode(s))) }
async function entries (spec: Record<string, string>): Promise<Map<string, MergeEntry>> {
  const out = new Map<string, MergeEntry>()
  for (const [k, v] of Object.entries(spec)) out.set(k, { cid: await cidOf(v), dir: false })
  return out
}

describe('mergeEntries (pure)', () => {
  it('is theirs + (ours − base) − (base − ours), with deletions on either side', async () => {
    const base = await entries({ a: 'a', b: 'b', c: 'c' })
    const ours = await entries({ a: 'a', c: 'c', o: 'o' }) // ours removed b, added o
    const theirs = await entries({ a: 'a', b: 'b', t: 't' }) // theirs removed c, added t
    const m = mergeEntries(base, ours, theirs)
    expect([...m.set.keys()]).toEqual(['o'])
    expect(m.remove).toEqual(['b'])
    expect(m.recurse).toEqual([])
    // Applied to theirs: a, t, o (c stays removed by theirs, b removed by ours).
    const result = new Map(theirs)
    for (const [k, v] of m.set) result.set(k, v)
    for (const k of m.remove) result.delete(k)
    expect([...result.keys()].sort()).toEqual(['a', 'o', 't'])
  })

  it('keeps theirs when both changed a name, and never loses ours to a removal on their side', async () => {
    const base = await entries({ k: 'k1', r: 'r1' })
    const ours = await entries({ k: 'k-ours', r: 'r-ours' })
    const theirs = await entries({ k: 'k-theirs' })
    const m = mergeEntries(base, ours, theirs)
    expect(m.set.get('r')?.cid.equals(await cidOf('r-ours'))).toBe(true)
    expect(m.set.has('k')).toBe(false)
    expect(m.remove).toEqual([])
  })

  it('adds nothing when ours equals base, and everything of ours onto an empty base', async () => {
    const theirs = await entries({ x: 'x' })
    expect(mergeEntries(await entries({ a: 'a' }), await entries({ a: 'a' }), theirs)).toEqual({ set: new Map(), remove: [], recurse: [] })
    const m = mergeEntries(new Map(), await entries({ a: 'a', x: 'x' }), theirs)
    expect([...m.set.keys()]).toEqual(['a'])
  })

  it('merges directories changed on both sides one level down', () => {
    const d = (n: string): MergeEntry => ({ cid: CID.parse(n), dir: true })
    const a = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const b = 'bafkreidon73zkcrwdb5iafqtijxildoonbwnpv7dyd6ef3qdgads2jc4su'
    const c = 'bafkreiekhxocqtkkvjxrfzx5tkqe3x6c4hpdopy6h4h2gptf4bxzpdiqwq'
    expect(mergeEntries(new Map([['data', d(a)]]), new Map([['data', d(b)]]), new Map([['data', d(c)]])).recurse).toEqual(['data'])
  })
})

describe('mergeRoots (UnixFS)', () => {
  const store = new MemoryBlockstore()
  const fs = unixfs({ blockstore: store })
  const file = async (s: string): Promise<CID> => await fs.addBytes(te.encode(s), { cidVersion: 1, rawLeaves: true })
  async function tree (spec: Record<string, string>): Promise<CID> {
    let root = await fs.addDirectory({}, { cidVersion: 1 })
    const dirs = new Map<string, CID>()
    for (const d of ['keys', 'locks', 'snapshots', 'index', 'data']) dirs.set(d, await fs.addDirectory({}, { cidVersion: 1 }))
    for (const [path, content] of Object.entries(spec)) {
      const parts = path.split('/')
      if (parts.length === 1) { root = await fs.cp(await file(content), root, path); continue }
      const dir = parts.slice(0, -1).join('/')
      dirs.set(dir, await fs.cp(await file(content), dirs.get(dir) ?? await fs.addDirectory({}, { cidVersion: 1 }), parts.at(-1) ?? ''))
    }
    for (const [d, cid] of [...dirs].filter(([d]) => d.startsWith('data/'))) dirs.set('data', await fs.cp(cid, dirs.get('data') as CID, d.slice(5)))
    for (const d of ['keys', 'locks', 'snapshots', 'index', 'data']) root = await fs.cp(dirs.get(d) as CID, root, d)
    return root
  }
  async function listing (root: CID): Promise<string[]> {
    const out: string[] = []
    const walk = async (cid: CID, prefix: string): Promise<void> => {
      for await (const e of fs.ls(cid)) {
        const p = prefix === '' ? e.name : `${prefix}/${e.name}`
        if (e.cid.code === raw.code) out.push(`${p}=${new TextDecoder().decode(await bytes(store.get(e.cid)))}`)
        else await walk(e.cid, p)
      }
    }
    await walk(root, '')
    return out.sort()
  }
  const init = { fs, shard: {}, location: 'ipns://test', readSmall: async (cid: CID) => await bytes(store.get(cid)) }

  it('keeps both sides\' snapshots and packs, applies each side\'s deletions, counts', async () => {
    const base = await tree({ config: 'C', 'keys/k1': 'K', 'snapshots/s0': 'S0', 'data/aa/p0': 'P0', 'locks/l0': 'L0' })
    const ours = await tree({ config: 'C', 'keys/k1': 'K', 'snapshots/s0': 'S0', 'snapshots/s1': 'S1', 'data/aa/p0': 'P0', 'data/aa/p1': 'P1', 'data/bb/p2': 'P2', 'index/i1': 'I1', 'cairn-ipns-key': 'KEY' })
    const theirs = await tree({ config: 'C', 'keys/k1': 'K', 'snapshots/s2': 'S2', 'data/aa/p0': 'P0', 'data/aa/p3': 'P3', 'index/i2': 'I2', 'locks/l0': 'L0', 'locks/l9': 'L9' })
    const events: string[] = []
    const merged = await mergeRoots(init, { base, ours, theirs }, { onProgress: (e) => { events.push(e.type) } })
    expect(await listing(merged.root)).toEqual([
      'cairn-ipns-key=KEY', 'config=C', 'data/aa/p0=P0', 'data/aa/p1=P1', 'data/aa/p3=P3', 'data/bb/p2=P2',
      'index/i1=I1', 'index/i2=I2', 'keys/k1=K', 'locks/l9=L9', 'snapshots/s1=S1', 'snapshots/s2=S2'
    ])
    // Entries added from ours: s1, p1, i1, the key file and the new folder data/bb; removed: our lock l0.
    expect(merged.added).toBe(5)
    expect(merged.removed).toBe(1)
    expect(events).toEqual(['restic-ipfs:publish:merged'])
  })

  it('takes theirs as it is when ours did not change, and ours when theirs did not', async () => {
    const base = await tree({ config: 'C', 'snapshots/s0': 'S0' })
    const other = await tree({ config: 'C', 'snapshots/s0': 'S0', 'snapshots/s5': 'S5' })
    expect((await mergeRoots(init, { base, ours: base, theirs: other })).root.equals(other)).toBe(true)
    expect((await mergeRoots(init, { base, ours: other, theirs: base })).root.equals(other)).toBe(true)
  })

  it('refuses roots whose config differs', async () => {
    const base = await tree({ config: 'C', 'snapshots/s0': 'S0' })
    const ours = await tree({ config: 'C', 'snapshots/s1': 'S1' })
    const theirs = await tree({ config: 'OTHER', 'snapshots/s2': 'S2' })
    await expect(mergeRoots(init, { base, ours, theirs })).rejects.toThrow(RepoConfigConflictError)
  })
})
