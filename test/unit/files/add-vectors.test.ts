import { MemoryBlockstore } from 'blockstore-core/memory'
import { describe, expect, it } from 'vitest'
import { addAll, addBytes } from '../../../src/ipfs/add/index.js'
import { text, vectors, zeros } from './helpers.js'

describe('add: published CID vectors', () => {
  for (const v of vectors.files_literal) {
    it(`${v.id}: ${JSON.stringify(v.content)} under ${v.profile}`, async () => {
      const root = await addBytes(new MemoryBlockstore(), text(v.content), { profile: v.profile, onlyHash: true })
      expect(root.cid.toString()).toBe(v.cid)
    })
  }

  for (const v of vectors.files_zero_filled) {
    it(`${v.id}: ${v.length} zero bytes under ${v.profile}`, async () => {
      const root = await addBytes(new MemoryBlockstore(), zeros(v.length), { profile: v.profile, onlyHash: true })
      expect(root.cid.toString()).toBe(v.cid)
    })
  }

  for (const v of vectors.directories) {
    it(`${v.id}: tree ${JSON.stringify(Object.keys(v.tree))} under ${v.profile}`, async () => {
      // The top folder's own name ("top") is not part of its CID: only entries are.
      const entries = [{ path: 'top' }, ...Object.entries(v.tree).map(([path, content]) => ({ path: `top/${path}`, content: text(content) }))]
      const roots = await addAll(new MemoryBlockstore(), entries, { profile: v.profile })
      expect(roots.map(r => [r.name, r.type])).toEqual([['top', 'directory']])
      expect(roots[0]?.cid.toString()).toBe(v.cid)

      // Same CID when the entries are wrapped instead of placed under a named folder.
      const wrapped = await addAll(new MemoryBlockstore(), Object.entries(v.tree).map(([path, content]) => ({ path, content: text(content) })), { profile: v.profile, wrapDirectory: true, onlyHash: true })
      if (Object.keys(v.tree).length > 0) expect(wrapped[0]?.cid.toString()).toBe(v.cid)
    })
  }
})
