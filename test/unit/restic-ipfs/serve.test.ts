/**
 * `cairn serve restic` with real restic 0.14 over loopback: init + backup + check --read-data
 * through the REST server onto IPFS, republishing the IPNS name after each session; then another
 * node opens the repository by name, the engine lists the snapshot, and `exportRepo` writes a
 * folder that real restic checks. Plus the REST protocol details restic relies on, and the
 * command once as a subprocess.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FsDatastore } from 'datastore-fs'
import { MemoryDatastore } from 'datastore-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { KeyStore } from '../../../src/ipfs/ipns/index.js'
import { multiaddr } from '@multiformats/multiaddr'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { REST_V2, exportRepo, isIpfsRepoUrl, openIpfsRepoBackend, parseIpfsRepoUrl, startRestServer } from '../../../src/node/restic-ipfs/index.js'
import { MemoryBackend, Repository, listSnapshots } from '../../../src/restic/index.js'
import { InvalidInputError } from '../../../src/core/errors.js'
import { PASSWORD, SKIP, prng, requireRestic, resticAsync, tempDir } from '../../interop/restic/helpers.js'
import type { CommandIO } from '../../../src/node/cli/command.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'
import type { ChildProcess } from 'node:child_process'

let net: LocalNetwork
let bystander: TestPeer | undefined
const children: ChildProcess[] = []

async function until (cond: () => boolean, signal: AbortSignal, what: () => string = () => ''): Promise<void> {
  while (!cond()) {
    if (signal.aborted) throw new Error(`timed out waiting; ${what()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

beforeAll(async () => {
  net = await startLocalNetwork()
  // The local network answers an IPNS lookup of an unknown name only after its client timeout when
  // no plain test peer is connected (seen on this network peer; see the report). Keep one connected.
  bystander = await createTestPeer()
  await bystander.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
}, 30_000)
afterAll(async () => {
  await bystander?.stop()
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  await net?.stop()
})

describe('the REST server', () => {
  it('speaks restic REST v1/v2: create, config, list formats, HEAD sizes, ranges, 404s, delete', async () => {
    const backend = new MemoryBackend()
    const srv = await startRestServer(backend, { idleMs: 100_000 })
    try {
      const u = (p: string): string => new URL(p, srv.url).toString()
      expect((await fetch(u('/?create=true'), { method: 'POST' })).status).toBe(200)
      expect((await fetch(u('/config'), { method: 'HEAD' })).status).toBe(404)
      expect((await fetch(u('/config'), { method: 'POST', body: 'CFG' })).status).toBe(200)
      expect((await fetch(u('/?create=true'), { method: 'POST' })).status).toBe(403)
      const name = 'ab'.padEnd(64, '0')
      expect((await fetch(u(`/data/${name}`), { method: 'POST', body: '0123456789' })).status).toBe(200)
      const head = await fetch(u(`/data/${name}`), { method: 'HEAD' })
      expect(head.headers.get('content-length')).toBe('10')
      const ranged = await fetch(u(`/data/${name}`), { headers: { range: 'bytes=2-5' } })
      expect(ranged.status).toBe(206)
      expect(ranged.headers.get('content-range')).toBe('bytes 2-5/10')
      expect(await ranged.text()).toBe('2345')
      expect(await (await fetch(u(`/data/${name}`), { headers: { range: 'bytes=-3' } })).text()).toBe('789')
      expect((await fetch(u(`/data/${name}`), { headers: { range: 'bytes=20-' } })).status).toBe(416)
      const v2 = await fetch(u('/data/'), { headers: { accept: REST_V2 } })
      expect(v2.headers.get('content-type')).toBe(REST_V2)
      expect(await v2.json()).toEqual([{ name, size: 10 }])
      expect(await (await fetch(u('/data/'))).json()).toEqual([name])
      expect((await fetch(u('/data/nothex'))).status).toBe(400)
      expect((await fetch(u('/bogus/'))).status).toBe(404)
      expect((await fetch(u(`/keys/${name}`))).status).toBe(404)
      expect((await fetch(u(`/data/${name}`), { method: 'DELETE' })).status).toBe(200)
      expect(await (await fetch(u('/data/'), { headers: { accept: REST_V2 } })).json()).toEqual([])
    } finally {
      await srv.close()
    }
  })

  it('ends a write session when a lock is removed, or when idle after writes', async () => {
    let sessions = 0
    const srv = await startRestServer(new MemoryBackend(), { idleMs: 200, onSession: async () => { sessions++ } })
    try {
      const lock = 'cd'.padEnd(64, '1')
      await fetch(new URL(`/locks/${lock}`, srv.url), { method: 'POST', body: 'L' })
      await fetch(new URL('/config', srv.url))
      expect(sessions).toBe(0)
      await fetch(new URL(`/locks/${lock}`, srv.url), { method: 'DELETE' })
      await srv.settle()
      expect(sessions).toBe(1)
      await fetch(new URL('/config', srv.url), { method: 'POST', body: 'C' })
      await until(() => sessions === 2, AbortSignal.timeout(5000))
      await new Promise(resolve => setTimeout(resolve, 400))
      expect(sessions).toBe(2) // reads alone open no session
    } finally {
      await srv.close()
    }
  })

  it('parses repository locations', () => {
    expect(parseIpfsRepoUrl('ipfs://bafkqaaa').kind).toBe('ipfs')
    expect(() => parseIpfsRepoUrl('s3://bucket')).toThrow(InvalidInputError)
    expect(() => parseIpfsRepoUrl('ipfs://not-a-cid')).toThrow(/not a CID/)
    expect(parseIpfsRepoUrl('/ipns/k51qzi5uqu5dj5sdxqhrcr0hbgexiknt0h0ji6oa1kufh2dde22x7xj5ajg7ri')).toEqual({ kind: 'ipns', name: 'k51qzi5uqu5dj5sdxqhrcr0hbgexiknt0h0ji6oa1kufh2dde22x7xj5ajg7ri' })
    expect(() => parseIpfsRepoUrl('ipns://not-a-name')).toThrow()
    expect([isIpfsRepoUrl('ipns://k51x'), isIpfsRepoUrl('/ipfs/bafy'), isIpfsRepoUrl('rest:http://x/'), isIpfsRepoUrl('/srv/restic')]).toEqual([true, true, false, false])
  })
})

describe.skipIf(SKIP)('cairn serve restic with real restic', () => {
  it('init, backup, check --read-data through it; reopen by IPNS name elsewhere; export for restic', async () => {
    requireRestic()
    const home = tempDir('serve-home')
    const ds = new FsDatastore(join(home, 'ipns'))
    mkdirSync(join(home, 'ipns'), { recursive: true })
    await ds.open()
    const key = await new KeyStore({ datastore: ds, protection: { passphrase: 'kp' }, scryptLogN: 10 }).generate('backups')
    await ds.close()
    const name = key.name.k51

    const src = tempDir('serve-src')
    writeFileSync(join(src, 'small.txt'), 'hello from restic over IPFS\n')
    writeFileSync(join(src, 'big.bin'), prng('serve-big', 6_000_000))
    mkdirSync(join(src, 'sub'))
    writeFileSync(join(src, 'sub', 'c.bin'), prng('serve-c', 300_000))

    const controller = new AbortController()
    const io: CommandIO & { stdout: string, stderr: string } = {
      stdout: '',
      stderr: '',
      out: (t) => { io.stdout += t },
      err: (t) => { io.stderr += t },
      signal: controller.signal,
      cwd: process.cwd(),
      env: { CAIRN_HOME: home, CAIRN_KEY_PASSPHRASE: 'kp' }
    }
    const exit = main(['serve', 'restic', '--repo', `ipns://${name}`, '--init', '--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '',
      '--listen', '127.0.0.1:0', '--idle', '500', '--json'], io)
    await until(() => io.stdout.includes('\n'), AbortSignal.timeout(30_000), () => io.stderr)
    const info = JSON.parse(io.stdout.split('\n')[0] ?? '') as { url: string, name: string, root: string | null, peerId: string }
    expect(info.name).toBe(name)
    expect(info.root).toBeNull()
    const repo = `rest:${info.url}`
    const sessions = (): Array<{ root: string, published: string }> => io.stdout.trim().split('\n').slice(1).map(l => JSON.parse(l) as { root: string, published: string })

    const t0 = Date.now()
    await resticAsync(['init'], { repo })
    await until(() => sessions().length >= 1, AbortSignal.timeout(30_000), () => io.stdout + io.stderr)
    const backup = await resticAsync(['backup', '--json', src], { repo })
    const summary = backup.stdout.trim().split('\n').map(l => JSON.parse(l) as { message_type: string, snapshot_id?: string }).find(m => m.message_type === 'summary')
    const backupMs = Date.now() - t0
    await until(() => sessions().length >= 2, AbortSignal.timeout(30_000), () => io.stdout + io.stderr)
    const check = await resticAsync(['check', '--read-data'], { repo })
    expect(check.stdout).toContain('no errors were found')
    await until(() => sessions().length >= 3, AbortSignal.timeout(30_000), () => io.stdout + io.stderr)
    const last = sessions().at(-1)
    expect(last?.published).toBe(name)
    // Another node, no shared store, while the server runs: by IPNS name through the routing
    // server; blocks come through the relay (it pulls them from the serving node on lookup).
    const other = await openIpfsRepoBackend(`ipns://${name}`, { routingUrl: net.routingUrl, relayAddrs: net.relayAddrs, pin: false })
    try {
      const r = await Repository.open(other.backend, { password: PASSWORD })
      const snaps = await listSnapshots(r)
      expect(snaps.map(s => s.id.slice(0, 8))).toEqual([summary?.snapshot_id?.slice(0, 8)])
      const out = join(tempDir('serve-export'), 'repo')
      const t1 = Date.now()
      let progressed = 0
      const exported = await exportRepo(other.backend, out, { onProgress: () => { progressed++ } })
      expect(progressed).toBe(exported.files)
      console.log(`exportRepo: ${exported.files} files, ${exported.bytes} bytes in ${Date.now() - t1} ms`)
      expect(exported.files).toBeGreaterThan(5)
      const plain = await resticAsync(['check', '--read-data'], { repo: out })
      expect(plain.stdout).toContain('no errors were found')
      const listed = JSON.parse((await resticAsync(['snapshots', '--json'], { repo: out })).stdout) as Array<{ id: string }>
      expect(listed.map(s => s.id.slice(0, 8))).toEqual([summary?.snapshot_id?.slice(0, 8)])
      await expect(exportRepo(other.backend, out)).rejects.toThrow(/already holds a restic repository/)
    } finally {
      await other.close()
    }

    controller.abort()
    expect(await exit, io.stderr).toBe(0)
    console.log(`restic init+backup of 6.3 MB through cairn serve restic: ${backupMs} ms; sessions: ${sessions().length}`)

    // The command once as a subprocess, on the same home (the blocks are on disk there), read-only
    // by root CID and without the key passphrase (nothing is published).
    const child = spawn(process.execPath, ['bin/cairn.mjs', 'serve', 'restic', '--repo', `ipfs://${last?.root ?? ''}`, '--routing', net.routingUrl,
      '--peer', net.relayAddrs[0] ?? '', '--listen', '127.0.0.1:0', '--allow-origin', 'http://127.0.0.1:5173/', '--json'], {
      cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CAIRN_HOME: home, CAIRN_KEY_PASSPHRASE: '' }
    })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const exited = new Promise<number | null>(resolve => { child.once('exit', (code) => { resolve(code) }) })
    await until(() => stdout.includes('\n') || child.exitCode !== null, AbortSignal.timeout(45_000))
    expect(child.exitCode, stderr).toBeNull()
    const sub = JSON.parse(stdout.split('\n')[0] ?? '') as { url: string, name: string | null }
    expect(sub.name).toBeNull()
    const snaps = JSON.parse((await resticAsync(['snapshots', '--json', '--no-lock'], { repo: `rest:${sub.url}` })).stdout) as Array<{ id: string }>
    expect(snaps.map(s => s.id.slice(0, 8))).toEqual([summary?.snapshot_id?.slice(0, 8)])
    // --allow-origin lets that page in, and no other (loopback pages included).
    const preflight = async (origin: string): Promise<Response> => await fetch(new URL('snapshots/', sub.url), { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } })
    expect((await preflight('http://127.0.0.1:5173')).headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173')
    expect((await preflight('http://127.0.0.1:5174')).status).toBe(403)
    child.kill('SIGTERM')
    expect(await exited, stderr).toBe(0)
  }, 240_000)

  it('refuses an --allow-origin that is not an origin, saying how to write one', async () => {
    const io: CommandIO & { stdout: string, stderr: string } = {
      stdout: '', stderr: '', out: (t) => { io.stdout += t }, err: (t) => { io.stderr += t }, signal: AbortSignal.timeout(60_000), cwd: process.cwd(), env: { CAIRN_HOME: tempDir('serve-home4') }
    }
    expect(await main(['serve', 'restic', '--repo', 'ipfs://bafkqaaa', '--allow-origin', 'localhost:8080'], io)).toBe(1)
    expect(io.stderr).toMatch(/"localhost:8080" is not an (http\(s\) )?origin: write it as http:\/\/host:port/)
  })

  it('fails with advice when the name has no record and --init is not given', async () => {
    const keys = new KeyStore({ datastore: new MemoryDatastore(), protection: { passphrase: 'x' }, scryptLogN: 10 })
    const other = await keys.generate('other')
    const io: CommandIO & { stdout: string, stderr: string } = {
      stdout: '', stderr: '', out: (t) => { io.stdout += t }, err: (t) => { io.stderr += t }, signal: AbortSignal.timeout(60_000), cwd: process.cwd(), env: { CAIRN_HOME: tempDir('serve-home3') }
    }
    expect(await main(['serve', 'restic', '--repo', `ipns://${other.name.k51}`, '--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '', '--listen', '127.0.0.1:0'], io)).toBe(1)
    expect(io.stderr).toMatch(/could not be resolved/)
  }, 60_000)
})
