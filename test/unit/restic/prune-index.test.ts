/** Issue #12 item 9: the in-memory index of a Repository follows prune (no reopen in between). */
import { describe, expect, it } from 'vitest'
import { MemoryBackend, MemorySource, MemorySink, Repository, backup, check, findSnapshot, forget, prune, restore } from '../../../src/restic/index.js'
import { prng } from '../../interop/restic/helpers.js'

const FAST = { N: 1024, r: 8, p: 1 }

describe('one Repository object through backup, forget, prune, check', () => {
  it('check passes after prune removed and repacked packs, and the kept snapshot restores', async () => {
    const backend = new MemoryBackend()
    const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST })
    await repo.loadIndex()
    const days = ['2024-01-01T10:00:00Z', '2024-01-02T10:00:00Z', '2024-01-03T10:00:00Z']
    for (const [i, day] of days.entries()) {
      await backup(repo, new MemorySource({ [`f${i}.bin`]: prng(`pi${i}`, 300_000), 'shared.txt': new TextEncoder().encode('same') }), { hostname: 'h', time: new Date(day), packSize: 200_000, parent: false })
    }
    const groups = await forget(repo, { last: 1 })
    expect(groups[0]!.remove).toHaveLength(2)
    const res = await prune(repo, { packSize: 200_000 })
    expect(res.packsRemoved + res.packsRepacked).toBeGreaterThan(0)
    const r = await check(repo, { readData: true })
    expect(r.errors).toEqual([])
    // The same object still finds every blob of the kept snapshot.
    const sink = new MemorySink()
    await restore(repo, await findSnapshot(repo, 'latest'), sink)
    expect(sink.entries.get('f2.bin')?.data?.length).toBe(300_000)
    // And the index it holds is the one on disk: no pack it lists is missing.
    const present = new Set((await backend.list('data')).map(f => f.name))
    for (const id of repo.index.packs.keys()) expect(present.has(id)).toBe(true)
  })
})
