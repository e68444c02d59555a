import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Repository, RestBackend, MemorySource, MemorySink, backup, restore, findSnapshot, check, NotFoundError } from '../../../src/restic/index.js'
import { PASSWORD, SKIP, prng, requireRestic, resticAsync, tempDir } from './helpers.js'
import { startRestServer } from './rest-server.js'
import type { TestRestServer } from './rest-server.js'

describe.skipIf(SKIP)('REST backend (protocol v2) with real restic', () => {
  let root: string
  let server: TestRestServer

  beforeAll(async () => {
    requireRestic()
    root = tempDir('interop-rest')
    server = await startRestServer(join(root, 'repo'))
  })
  afterAll(async () => {
    await server?.close()
    if (root !== undefined) rmSync(root, { recursive: true, force: true, maxRetries: 5 })
  })

  it('Cairn writes over REST, restic checks and restores over REST, Cairn reads restic\'s snapshot back', async () => {
    const backend = new RestBackend({ url: server.url })
    const repo = await Repository.init(backend, { password: PASSWORD, scrypt: { N: 16384, r: 8, p: 1 } })
    const files = { 'r.bin': prng('rest', 1_300_000), 't.txt': new TextEncoder().encode('over http\n') }
    await backup(repo, new MemorySource({ upload: files }, ['/upload']), { hostname: 'rest-host' })
    expect(server.requests.some(r => r.startsWith('POST /data/'))).toBe(true)
    // Writing reads no pack back (the listing GET /data/ is fine).
    expect(server.requests.some(r => /^GET \/data\/[0-9a-f]{64}/.test(r))).toBe(false)

    const url = `rest:${server.url}`
    expect((await resticAsync(['check', '--read-data'], { repo: url })).stdout).toMatch(/no errors were found/)
    const target = join(root, 'out')
    await resticAsync(['restore', 'latest', '--target', target], { repo: url })
    const src = join(root, 'src')
    expect((await resticAsync(['snapshots', '--json'], { repo: url })).stdout).toContain('rest-host')

    expect(new Uint8Array(readFileSync(join(target, 'upload', 'r.bin')))).toEqual(files['r.bin'])
    mkdirSync(src, { recursive: true })
    writeFileSync(join(src, 'from-restic.txt'), 'written by restic\n')
    await resticAsync(['backup', '--host', 'restic-host', src], { repo: url })

    const again = await Repository.open(new RestBackend({ url: server.url }), { password: PASSWORD })
    const sink = new MemorySink()
    await restore(again, await findSnapshot(again, 'latest', { hosts: ['restic-host'] }), sink)
    const key = [...sink.entries.keys()].find(k => k.endsWith('from-restic.txt'))
    expect(key).toBeDefined()
    expect(new TextDecoder().decode(sink.entries.get(key!)!.data)).toBe('written by restic\n')
    expect((await check(again, { readData: true })).errors).toEqual([])
    expect(server.requests.some(r => /^GET \/data\/[0-9a-f]{64}/.test(r))).toBe(true)
  })

  it('maps 404 to NotFoundError and reads ranges', async () => {
    const backend = new RestBackend({ url: server.url })
    await expect(backend.stat({ type: 'snapshots', name: '0'.repeat(64) })).rejects.toBeInstanceOf(NotFoundError)
    const [first] = await backend.list('data')
    expect(first).toBeDefined()
    const whole = await backend.read({ type: 'data', name: first!.name })
    expect(whole.length).toBe(first!.size)
    expect(await backend.read({ type: 'data', name: first!.name }, { offset: 10, length: 20 })).toEqual(whole.slice(10, 30))
    expect(await backend.read({ type: 'data', name: first!.name }, { offset: whole.length - 4 })).toEqual(whole.slice(-4))
  })
})
