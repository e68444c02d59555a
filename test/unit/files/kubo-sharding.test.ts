/**
 * Kubo's own sharding vectors (kubo `test/sharness/t0260-sharding.sh`): a directory `testdata` of
 * 2000 files `file1`…`file2000`, each holding `"$i\n"`, added with `ipfs add -r -Q testdata`.
 *  - UNSHARDED: threshold forced to 1G (and also what the default 256 KiB gives: 2000 links of
 *    ~42 estimated bytes stay far below it);
 *  - SHARDED: threshold forced to 1B, so the directory is a HAMT (CIDv0);
 *  - SHARDEDV1: the same with `--cid-version=1` (which implies raw leaves; chunking and links per
 *    node stay the legacy ones).
 * These pin down the HAMT layout itself (bucket hashing, labels, fanout, node encoding).
 */
import { MemoryBlockstore } from 'blockstore-core/memory'
import { describe, expect, it } from 'vitest'
import { addAll, PROFILES } from '../../../src/ipfs/add/index.js'
import { text } from './helpers.js'
import type { AddEntry, Profile } from '../../../src/ipfs/add/index.js'

const UNSHARDED = 'QmavrTrQG4VhoJmantURAYuw3bowq3E2WcvP36NRQDAC1N'
const SHARDED = 'QmSCJD1KYLhVVHqBK3YyXuoEqHt7vggyJhzoFYbT8v1XYL'
const SHARDED_V1 = 'bafybeibiemewfzzdyhq2l74wrd6qj2oz42usjlktgnlqv4yfawgouaqn4u'
const FILE100 = 'QmZ3RfWk1u5LEGYLHA633B5TNJy3Du27K6Fny9wcxpowGS'

function testdata (): AddEntry[] {
  const entries: AddEntry[] = [{ path: 'testdata' }]
  for (let i = 1; i <= 2000; i++) entries.push({ path: `testdata/file${i}`, content: text(`${i}\n`) })
  return entries
}

async function rootOf (profile: Profile | 'unixfs-v0-2015'): Promise<string> {
  const [root] = await addAll(new MemoryBlockstore(), testdata(), { profile, onlyHash: true })
  return root?.cid.toString() ?? ''
}

describe('Kubo sharding vectors (t0260-sharding.sh)', () => {
  const v0 = PROFILES['unixfs-v0-2015']

  it('unsharded directory, under the default profile and with a 1G threshold', async () => {
    expect(await rootOf('unixfs-v0-2015')).toBe(UNSHARDED)
    expect(await rootOf({ ...v0, shardSplitThresholdBytes: 1024 ** 3 })).toBe(UNSHARDED)
  })

  it('file100 inside it', async () => {
    const [root] = await addAll(new MemoryBlockstore(), [{ path: 'file100', content: text('100\n') }], { onlyHash: true })
    expect(root?.cid.toString()).toBe(FILE100)
  })

  it('HAMT-sharded directory (threshold 1B), CIDv0', async () => {
    expect(await rootOf({ ...v0, shardSplitThresholdBytes: 1 })).toBe(SHARDED)
  })

  it('HAMT-sharded directory (threshold 1B), --cid-version=1', async () => {
    expect(await rootOf({ ...v0, cidVersion: 1, rawLeaves: true, shardSplitThresholdBytes: 1 })).toBe(SHARDED_V1)
  })
})
