/**
 * Kubo's IPIP-499 profile vectors (kubo `test/cli/cid_profiles_test.go`, `TestCIDProfiles`): files
 * at and one chunk over the max-links limit, and directories exactly at and one byte over the
 * 256 KiB HAMT threshold, for both profiles. Inputs are rebuilt with Kubo's own deterministic
 * generator (see kubo-random.ts); the CIDs are the ones Kubo's test asserts.
 */
import { MemoryBlockstore } from 'blockstore-core/memory'
import { describe, expect, it } from 'vitest'
import { addAll, addBytes } from '../../../src/ipfs/add/index.js'
import { text } from './helpers.js'
import { kuboFileNames, kuboRandom } from './kubo-random.js'
import type { ProfileName } from '../../../src/ipfs/add/index.js'

interface DirCase { files: number, nameLen: number, lastNameLen: number, cid: string }

const CASES: Record<ProfileName, { seed: string, hamtSeed: string, atMax: [number, string], overMax: [number, string], basic: DirCase, hamt: DirCase }> = {
  'unixfs-v0-2015': {
    seed: 'v0-seed',
    hamtSeed: 'hamt-unixfs-v0-2015',
    atMax: [44544 * 1024, 'QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2'],
    overMax: [44800 * 1024, 'QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf'],
    basic: { files: 4096, nameLen: 30, lastNameLen: 30, cid: 'QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN' },
    hamt: { files: 4033, nameLen: 31, lastNameLen: 31, cid: 'QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP' }
  },
  'unixfs-v1-2025': {
    seed: 'v1-2025-seed',
    hamtSeed: 'hamt-unixfs-v1-2025',
    atMax: [1024 * 1024 * 1024, 'bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm'],
    overMax: [1025 * 1024 * 1024, 'bafybeihmzokxxjqwxjcryerhp5ezpcog2wcawfryb2xm64xiakgm4a5jue'],
    basic: { files: 4766, nameLen: 11, lastNameLen: 21, cid: 'bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4' },
    hamt: { files: 4766, nameLen: 11, lastNameLen: 22, cid: 'bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu' }
  }
}

for (const [profile, c] of Object.entries(CASES) as Array<[ProfileName, typeof CASES[ProfileName]]>) {
  describe(`Kubo TestCIDProfiles vectors: ${profile}`, () => {
    for (const [label, dir] of [['directory exactly at the threshold stays flat', c.basic], ['directory one byte over becomes a HAMT', c.hamt]] as const) {
      it(label, async () => {
        const names = await kuboFileNames(dir.files, dir.nameLen, dir.lastNameLen, c.hamtSeed)
        const [root] = await addAll(new MemoryBlockstore(), [{ path: 'd' }, ...names.map(n => ({ path: `d/${n}`, content: text('x') }))], { profile, onlyHash: true })
        expect(root?.cid.toString()).toBe(dir.cid)
      })
    }

    for (const [label, [size, cid]] of [['file at max links', c.atMax], ['file one chunk over max links (rebalanced)', c.overMax]] as const) {
      it(label, async () => {
        const root = await addBytes(new MemoryBlockstore(), kuboRandom(size, c.seed), { profile, onlyHash: true })
        expect(root.cid.toString()).toBe(cid)
      }, 600_000)
    }
  })
}
