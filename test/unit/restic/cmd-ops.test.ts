/**
 * The ops behind diff, find, dump, tag and key passwd, used as a page would use them (memory
 * backend, no CLI): results stream with bounded buffering, a consumer may stop early, and the
 * failure paths name what to do.
 */
import { describe, expect, it } from 'vitest'
import {
  MemoryBackend, MemorySource, Repository, backup, findSnapshot, diff, findNodes, dumpFile, resolveDump, dumpTar,
  tagSnapshots, changeTags, changePassword, listSnapshots, WrongPasswordError, PathNotFoundError
} from '../../../src/restic/index.js'
import { pump } from '../../../src/restic/ops/walker.js'
import { prng } from '../../interop/restic/helpers.js'

const FAST = { N: 1024, r: 8, p: 1 }
/** A fixed polynomial keeps the run repeatable; BIG is above the chunker's 8 MiB maximum, so the file is several blobs whatever the polynomial (2.5 MB was sometimes one chunk). */
const POL = '3da3358b4dc173'
const BIG = 9_000_000

async function repoWithTwoSnapshots (): Promise<{ backend: MemoryBackend, repo: Repository }> {
  const backend = new MemoryBackend()
  const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST, chunkerPolynomial: POL })
  const many = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}.txt`, new TextEncoder().encode(`file ${i}\n`)]))
  await backup(repo, new MemorySource({ many, big: prng('cmd-ops', BIG), 'a.txt': new TextEncoder().encode('one\n') }), { hostname: 'h', tags: ['a', 'b', 'c'], time: new Date('2024-01-01T00:00:00Z') })
  await backup(repo, new MemorySource({ many, big: prng('cmd-ops', BIG), 'a.txt': new TextEncoder().encode('two, longer\n'), added: {} }), { hostname: 'h', time: new Date('2024-01-02T00:00:00Z') })
  return { backend, repo }
}

describe('diff, find, dump, tag and key passwd as library calls', () => {
  it('stream, and stop cleanly when the consumer stops early', async () => {
    const { repo } = await repoWithTwoSnapshots()
    const [s1, s2] = await listSnapshots(repo)
    const msgs = []
    for await (const m of diff(repo, s1!, s2!)) msgs.push(m)
    expect(msgs.slice(0, -1)).toEqual([{ message_type: 'change', path: '/a.txt', modifier: 'M' }, { message_type: 'change', path: '/added/', modifier: '+' }])
    expect(msgs.at(-1)).toMatchObject({ message_type: 'statistics', changed_files: 1, added: { dirs: 1, data_blobs: 1 } })

    // 1200 hits over two snapshots; taking 3 ends the walk (no hang, no error)
    let taken = 0
    for await (const m of findNodes(repo, [s1!, s2!], ['f*.txt'])) { expect(m.path).toMatch(/^\/many\/f\d+\.txt$/); if (++taken === 3) break }
    expect(taken).toBe(3)
    let all = 0
    for await (const _ of findNodes(repo, [s1!, s2!], ['f*.txt'])) all++
    expect(all).toBe(1200)

    // a file comes out blob by blob, never as one buffer
    const target = await resolveDump(repo, s2!, '/big')
    expect(target.kind).toBe('file')
    const sizes: number[] = []
    if (target.kind === 'file') for await (const c of dumpFile(repo, target.node)) sizes.push(c.length)
    expect(sizes.length).toBe(target.kind === 'file' ? target.node.content?.length : -1)
    expect(sizes.length).toBeGreaterThan(1)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(BIG)
    const root = await resolveDump(repo, s2!, '/')
    let tarBytes = 0
    if (root.kind === 'tree') for await (const c of dumpTar(repo, root.nodes, root.root)) tarBytes += c.length
    expect(tarBytes % 512).toBe(0)
    expect(tarBytes).toBeGreaterThan(BIG + 600 * 1024)
    await expect(resolveDump(repo, s2!, '/nope')).rejects.toThrow(PathNotFoundError)
  })

  it('pump: a failing producer fails the consumer; the producer waits while the queue is full', async () => {
    let produced = 0
    const gen = pump<number>(async push => { for (let i = 0; i < 100; i++) { produced++; await push(i) } }, 4)
    const first = await gen.next()
    expect(first.value).toBe(0)
    await new Promise(resolve => setTimeout(resolve, 20)) // the producer had every chance to run on
    expect(produced).toBeLessThanOrEqual(5)
    await gen.return(undefined)
    const failing = pump<number>(async push => { await push(1); throw new Error('broken tree') })
    await expect((async () => { for await (const _ of failing) { /* drain */ } })()).rejects.toThrow('broken tree')
  })

  it('tag keeps restic\'s order and original; key passwd swaps the key', async () => {
    expect(changeTags(['a', 'b', 'c'], { remove: ['a'] }).tags).toEqual(['c', 'b'])
    expect(changeTags(['a'], { add: ['a'] }).changed).toBe(false)
    expect(changeTags(['a'], { set: [''] }).tags).toEqual([])
    const { backend, repo } = await repoWithTwoSnapshots()
    const first = await findSnapshot(repo, 'latest', { tags: ['a'] })
    const { changed } = await tagSnapshots(repo, [first], { remove: ['a'], add: ['z'] })
    expect(changed).toHaveLength(1)
    const again = await findSnapshot(repo, changed[0]!.newId)
    expect(again).toMatchObject({ tags: ['z', 'b', 'c'], original: first.id, tree: first.tree, time: first.time })
    await expect(tagSnapshots(repo, [again], { set: ['x'], add: ['y'] })).rejects.toThrow(/cannot be given at the same time/)

    const { id, oldId } = await changePassword(repo, 'new password', { scrypt: FAST })
    expect(id).not.toBe(oldId)
    await expect(Repository.open(backend, { password: 'pw' })).rejects.toThrow(WrongPasswordError)
    expect((await Repository.open(backend, { password: 'new password' })).keyId).toBe(id)
  })
})
