/**
 * Pushing a restic repository: from a memory backend to a real REST server (src/node/restic-ipfs)
 * over a folder, through the RestBackend client, as a page would. Re-runs copy nothing, an abort
 * stops mid-way and the next run finishes, and the server answers CORS for loopback pages.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MirrorConflictError, mirrorRepository } from '../../../src/ipfs/push/index.js'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { startRestServer } from '../../../src/node/restic-ipfs/index.js'
import { MemoryBackend, MemorySource, NotFoundError, Repository, RestBackend, backup, check, listSnapshots } from '../../../src/restic/index.js'
import { pseudoRandom } from './helpers.js'
import type { MirrorEvents } from '../../../src/ipfs/push/index.js'
import type { RestServer } from '../../../src/node/restic-ipfs/index.js'
import type { Backend, MemoryTree } from '../../../src/restic/index.js'

const FAST = { N: 1024, r: 8, p: 1 }
const dirs: string[] = []
const servers: RestServer[] = []

afterAll(async () => {
  await Promise.all(servers.map(async s => { await s.close() }))
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true, maxRetries: 5 }) }))
})

function tree (seed: string): MemoryTree {
  return {
    'notes.txt': new TextEncoder().encode(`notes ${seed}\n`),
    photos: { 'a.jpg': pseudoRandom(`${seed}/a`, 700_000), 'b.jpg': pseudoRandom(`${seed}/b`, 900_000) },
    big: pseudoRandom(`${seed}/big`, 2_500_000)
  }
}

async function sourceRepo (seed: string): Promise<MemoryBackend> {
  const backend = new MemoryBackend()
  const repo = await Repository.init(backend, { password: 'pw', scrypt: FAST })
  await backup(repo, new MemorySource(tree(seed)), { hostname: 'h', time: new Date('2026-01-01T00:00:00Z') })
  return backend
}

/** A real REST server over an empty folder, and a RestBackend client for it. */
async function restTarget (options: Parameters<typeof startRestServer>[1] = {}): Promise<{ server: RestServer, client: RestBackend, folder: LocalBackend }> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-mirror-'))
  dirs.push(dir)
  const folder = new LocalBackend(join(dir, 'repo'))
  const server = await startRestServer(folder, { idleMs: 60_000, ...options })
  servers.push(server)
  return { server, client: new RestBackend({ url: server.url }), folder }
}

async function fileCount (backend: Backend): Promise<number> {
  let n = 1 // config
  for (const type of ['data', 'index', 'keys', 'snapshots'] as const) n += (await backend.list(type)).length
  return n
}

describe('mirrorRepository', () => {
  it('copies a whole repository to a REST server, then nothing on a re-run, then only what a new backup added', async () => {
    const source = await sourceRepo('first')
    const { client } = await restTarget()
    const total = await fileCount(source)
    const events: MirrorEvents[] = []
    const result = await mirrorRepository(source, client, { onProgress: e => events.push(e), signal: AbortSignal.timeout(60_000) })
    expect(result).toMatchObject({ files: total, skipped: 0 })
    expect(events[0]).toMatchObject({ type: 'push:mirror:plan', detail: { files: total, skipped: 0 } })
    const files = events.filter(e => e.type === 'push:mirror:file')
    expect(files).toHaveLength(total)
    expect(files.at(-1)?.detail).toMatchObject({ type: 'config', files: total, totalFiles: total, bytes: result.bytes, totalBytes: result.bytes })
    expect(files.map(e => (e.detail as { type: string }).type).indexOf('snapshots')).toBeGreaterThan(files.map(e => (e.detail as { type: string }).type).lastIndexOf('data'))

    const pushed = await Repository.open(new RestBackend({ url: client.location.slice('rest:'.length) }), { password: 'pw' })
    expect((await check(pushed, { readData: true })).errors).toEqual([])
    expect(await listSnapshots(pushed)).toHaveLength(1)

    const again = await mirrorRepository(source, client)
    expect(again).toEqual({ files: 0, bytes: 0, skipped: total })

    const repo = await Repository.open(source, { password: 'pw' })
    await backup(repo, new MemorySource({ ...tree('first'), 'new.txt': pseudoRandom('new', 300_000) }), { hostname: 'h', time: new Date('2026-01-02T00:00:00Z') })
    const newTotal = await fileCount(source)
    const third = await mirrorRepository(source, client)
    expect(third.files).toBe(newTotal - total)
    expect(third.skipped).toBe(total)
    expect(third.files).toBeGreaterThanOrEqual(3) // a pack, an index, a snapshot
    expect(await listSnapshots(await Repository.open(client, { password: 'pw' }))).toHaveLength(2)
  })

  it('stops when cancelled mid-way, leaves no config behind, and the next run copies the rest', async () => {
    const source = await sourceRepo('abort')
    const { client } = await restTarget()
    const total = await fileCount(source)
    const controller = new AbortController()
    const pending = mirrorRepository(source, client, {
      signal: controller.signal,
      onProgress: (e) => { if (e.type === 'push:mirror:file' && e.detail.files === 2) controller.abort() }
    })
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: expect.stringMatching(/was cancelled\. Push again to copy the rest/) })
    await expect(client.stat({ type: 'config', name: '' })).rejects.toBeInstanceOf(NotFoundError)
    const rest = await mirrorRepository(source, client)
    expect(rest.files).toBe(total - 2)
    expect(rest.skipped).toBe(2)
    expect((await check(await Repository.open(client, { password: 'pw' }), { readData: true })).errors).toEqual([])
  })

  it('refuses a target that holds another repository, or a damaged copy of a file', async () => {
    const a = await sourceRepo('one')
    const b = await sourceRepo('two')
    const target = new MemoryBackend('memory:target')
    await mirrorRepository(a, target)
    const err = await mirrorRepository(b, target).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MirrorConflictError)
    expect((err as Error).message).toMatch(/memory:target holds a different restic repository .*Push to an empty location/)

    const [pack] = await target.list('data')
    if (pack === undefined) throw new Error('no pack')
    const path = `data/${pack.name.slice(0, 2)}/${pack.name}`
    target.files.set(path, (target.files.get(path) ?? new Uint8Array()).slice(1))
    const damaged = await mirrorRepository(a, target).catch((e: unknown) => e)
    expect(damaged).toBeInstanceOf(MirrorConflictError)
    expect((damaged as Error).message).toMatch(/the copy there is damaged/)
  })
})

describe('the restic REST server and CORS', () => {
  const preflight = async (url: string, origin: string): Promise<Response> => await fetch(new URL('data/', url), {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }
  })

  it('lets a page from an allowed origin push (preflight, Authorization allowed, headers exposed)', async () => {
    const origin = 'http://127.0.0.1:5173'
    const { server } = await restTarget({ corsOrigins: [origin] })
    await fetch(new URL('?create=true', server.url), { method: 'POST' })
    const res = await preflight(server.url, origin)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(origin)
    expect(res.headers.get('access-control-allow-methods')?.split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'HEAD', 'POST', 'DELETE']))
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/)
    const list = await fetch(new URL('data/', server.url), { headers: { origin } })
    expect(list.status).toBe(200)
    expect(list.headers.get('access-control-allow-origin')).toBe(origin)
    expect(list.headers.get('access-control-expose-headers')).toMatch(/Content-Length/)
    // Another page on the same machine is not the app.
    expect((await preflight(server.url, 'http://localhost:8080')).status).toBe(403)
  })

  it('turns away every origin by default, loopback ones included', async () => {
    const { server } = await restTarget()
    for (const origin of ['https://elsewhere.example', 'http://127.0.0.1:5173', 'http://localhost:8080', 'http://[::1]:3000']) {
      const refused = await preflight(server.url, origin)
      expect(refused.status, origin).toBe(403)
      expect(refused.headers.get('access-control-allow-origin')).toBeNull()
      expect(await refused.text()).toContain(`--allow-origin ${origin}`)
      const get = await fetch(new URL('config', server.url), { headers: { origin } })
      expect(get.headers.get('access-control-allow-origin')).toBeNull()
    }
    const listed = await restTarget({ corsOrigins: ['https://app.example'] })
    expect((await preflight(listed.server.url, 'https://app.example')).headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect((await preflight(listed.server.url, 'http://127.0.0.1:5173')).status).toBe(403)
  })
})
