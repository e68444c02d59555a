import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { parseName } from '../../../src/ipfs/ipns/names.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { FIXTURES, loadVectors, startRoutingServer } from './helpers.js'
import { captureIO as capture } from '../../helpers/cli-io.js'
import type { CapturedIO } from '../../helpers/cli-io.js'
import type { TestRoutingServer } from './helpers.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const vectors = loadVectors()
const fixture = (file: string): string => fileURLToPath(new URL(file, FIXTURES))

let home: string
let server: TestRoutingServer

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'cairn-ipns-cli-'))
  server = await startRoutingServer()
})

afterAll(async () => {
  await server?.close()
  if (home !== undefined) await rm(home, { recursive: true, force: true, maxRetries: 5 })
})

function captureIO (env: Record<string, string | undefined> = {}): CapturedIO {
  return capture({ env: { CAIRN_HOME: home, CAIRN_SCRYPT_LOG_N: '10', ...env } })
}

async function allFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await allFiles(p))
    else out.push(p)
  }
  return out
}

describe('cairn ipns verify', () => {
  for (const v of vectors) {
    it(`${v.file.slice(0, 24)}…: ${v.expected}`, async () => {
      const io = captureIO()
      const code = await main(['ipns', 'verify', fixture(v.file), '--name', v.name], io)
      if (v.expected === 'valid') {
        expect(code).toBe(0)
        expect(io.stdout).toBe(`${v.value ?? ''}\n`)
      } else {
        expect(code).toBe(1)
        expect(io.stdout).toBe('')
        expect(io.stderr).toMatch(/invalid record \((missing-signature-v2|field-mismatch|signature-invalid)/)
      }
    })
  }

  it('takes the name from a <name>.ipns-record file name, and reports JSON', async () => {
    const v = vectors.find(x => x.description.startsWith('spec vector 2'))
    if (v === undefined) throw new Error('vector missing')
    const io = captureIO()
    expect(await main(['ipns', 'verify', fixture(v.file), '--json'], io)).toBe(0)
    const json = JSON.parse(io.stdout) as { valid: boolean, value: string, sequence: string, name: string }
    expect(json).toMatchObject({ valid: true, value: v.value, sequence: '0', name: v.name })
  })

  it('rejects a record checked against another name', async () => {
    const [a, b] = vectors.filter(x => x.expected === 'valid' && x.name.startsWith('k51'))
    if (a === undefined || b === undefined) throw new Error('vectors missing')
    const io = captureIO()
    expect(await main(['ipns', 'verify', fixture(a.file), '--name', b.name], io)).toBe(1)
    expect(io.stderr).toMatch(/signature-invalid/)
  })

  it('runs as a real subprocess: prints the value, or exits non-zero naming the reason', async () => {
    const good = vectors.find(x => x.description.startsWith('spec vector 5'))
    const bad = vectors.find(x => x.description.startsWith('spec vector 3'))
    if (good === undefined || bad === undefined) throw new Error('vectors missing')
    const ok = await run(process.execPath, ['bin/cairn.mjs', 'ipns', 'verify', fixture(good.file), '--name', good.name], { cwd: ROOT, env: { ...process.env, CAIRN_HOME: home } })
    expect(ok.stdout).toBe(`${good.value ?? ''}\n`)
    const err = await run(process.execPath, ['bin/cairn.mjs', 'ipns', 'verify', fixture(bad.file)], { cwd: ROOT, env: { ...process.env, CAIRN_HOME: home } }).catch((e: unknown) => e as { code: number, stdout: string, stderr: string })
    expect('code' in err && err.code).toBe(1)
    expect(err.stdout).toBe('')
    expect(err.stderr).toContain('field-mismatch')
    expect(err.stderr).toContain('"value"')
  })
})

describe('cairn ipns key', () => {
  it('gen, list, rename, export, import, rm; encrypted at rest; wrong passphrase is clear', async () => {
    const passFile = join(home, 'pass.txt')
    await writeFile(passFile, 's3cret passphrase\n')
    const gen = captureIO()
    expect(await main(['ipns', 'key', 'gen', 'blog', '--pass-file', passFile], gen)).toBe(0)
    const [keyName, k51, bafz, type] = gen.stdout.trim().split('\t')
    expect(keyName).toBe('blog')
    expect(k51).toMatch(/^k51/)
    expect(bafz).toMatch(/^bafz/)
    expect(type).toBe('Ed25519')

    const list = captureIO()
    expect(await main(['ipns', 'key', 'list'], list)).toBe(0)
    expect(list.stdout).toContain(`blog\t${k51 ?? ''}`)

    expect(await main(['ipns', 'key', 'rename', 'blog', 'journal'], captureIO())).toBe(0)
    const exportPath = join(home, 'journal.key')
    const exp = captureIO()
    expect(await main(['ipns', 'key', 'export', 'journal', '--output', exportPath, '--pass-file', passFile], exp)).toBe(0)
    expect((await stat(exportPath)).mode & 0o777).toBe(0o600)
    const keyBytes = new Uint8Array(await readFile(exportPath))
    const seed = privateKeyFromProtobuf(keyBytes).raw.subarray(0, 32)
    for (const f of await allFiles(join(home, 'ipns'))) {
      const content = await readFile(f)
      expect(content.includes(Buffer.from(keyBytes))).toBe(false)
      expect(content.includes(Buffer.from(seed))).toBe(false)
    }

    const wrong = captureIO({ CAIRN_KEY_PASSPHRASE: 'not it' })
    expect(await main(['ipns', 'key', 'export', 'journal', '--output', join(home, 'x.key')], wrong)).toBe(1)
    expect(wrong.stderr).toMatch(/Wrong passphrase for key "journal"/)
    const none = captureIO()
    expect(await main(['ipns', 'key', 'export', 'journal', '--output', join(home, 'y.key')], none)).toBe(1)
    expect(none.stderr).toMatch(/CAIRN_KEY_PASSPHRASE/)

    const imp = captureIO({ CAIRN_KEY_PASSPHRASE: 'another' })
    expect(await main(['ipns', 'key', 'import', 'copy', exportPath], imp)).toBe(0)
    expect(imp.stdout).toContain(k51)
    expect(await main(['ipns', 'key', 'rm', 'copy'], captureIO())).toBe(0)
    const after = captureIO()
    await main(['ipns', 'key', 'list'], after)
    expect(after.stdout).not.toContain('copy')
    expect(after.stdout).toContain('journal')
    const missing = captureIO()
    expect(await main(['ipns', 'key', 'rm', 'copy'], missing)).toBe(1)
    expect(missing.stderr).toMatch(/no key named "copy"/)
  })
})

describe('cairn ipns publish / resolve', () => {
  it('publishes to a real Routing V1 server and resolves by k51 and bafz', async () => {
    const env = { CAIRN_KEY_PASSPHRASE: 'pub' }
    const gen = captureIO(env)
    expect(await main(['ipns', 'key', 'gen', 'www'], gen)).toBe(0)
    const [, k51, bafz] = gen.stdout.trim().split('\t')
    const cid = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
    const pub = captureIO(env)
    expect(await main(['ipns', 'publish', '--key', 'www', '--lifetime', '2h', '--ttl', '90s', '--routing', server.url, cid], pub)).toBe(0)
    expect(pub.stdout).toBe(`${k51 ?? ''}\n`)
    expect(pub.stderr).toMatch(/sequence 0/)
    expect(pub.stderr).toContain(`ok     ${server.url} (200)`)
    for (const name of [k51, bafz]) {
      const res = captureIO()
      expect(await main(['ipns', 'resolve', '--routing', server.url, '--json', name ?? ''], res)).toBe(0)
      const json = JSON.parse(res.stdout) as { value: string, sequence: string, ttlMs: number }
      expect(json).toMatchObject({ value: `/ipfs/${cid}`, sequence: '0', ttlMs: 90_000 })
    }
    const again = captureIO(env)
    expect(await main(['ipns', 'republish', '--key', 'www', '--routing', server.url], again)).toBe(0)
    expect(again.stderr).toMatch(/sequence 1/)
    // an explicit sequence below the highest seen is refused
    const low = captureIO(env)
    expect(await main(['ipns', 'publish', '--key', 'www', '--sequence', '1', '--routing', server.url, cid], low)).toBe(1)
    expect(low.stderr).toMatch(/not above 1/)
    const plain = captureIO()
    expect(await main(['ipns', 'resolve', '--routing', server.url, `/ipns/${k51 ?? ''}/a.txt`], plain)).toBe(0)
    expect(plain.stdout).toBe(`/ipfs/${cid}/a.txt\n`)

    // export the newest record and carry it, unchanged, to a second router
    const recordFile = join(home, `${k51 ?? ''}.ipns-record`)
    expect(await main(['ipns', 'export-record', k51 ?? '', '--output', recordFile], captureIO())).toBe(0)
    const verify = captureIO()
    expect(await main(['ipns', 'verify', recordFile], verify)).toBe(0)
    expect(verify.stdout).toBe(`/ipfs/${cid}\n`)
    expect(verify.stderr).toMatch(/sequence 1/)
    const other = await startRoutingServer()
    try {
      const push = captureIO({ CAIRN_HOME: join(home, 'carrier') })
      expect(await main(['ipns', 'push', '--routing', other.url, '--name', bafz ?? '', recordFile], push)).toBe(0)
      expect(push.stderr).toContain(`ok     ${other.url} (200)`)
      const res = captureIO({ CAIRN_HOME: join(home, 'reader') })
      expect(await main(['ipns', 'resolve', '--routing', other.url, k51 ?? ''], res)).toBe(0)
      expect(res.stdout).toBe(`/ipfs/${cid}\n`)
    } finally {
      await other.close()
    }
  })

  it('publishes, pushes and resolves over libp2p with --peer (the local network peer), no router needed', async () => {
    const net = await startLocalNetwork()
    try {
      const peer = net.relayAddrs[0] ?? ''
      const env = { CAIRN_KEY_PASSPHRASE: 'p2p' }
      const gen = captureIO(env)
      expect(await main(['ipns', 'key', 'gen', 'p2p-cli'], gen)).toBe(0)
      const [, k51] = gen.stdout.trim().split('\t')
      const cid = 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am'
      const pub = captureIO(env)
      expect(await main(['ipns', 'publish', '--key', 'p2p-cli', '--peer', peer, cid], pub)).toBe(0)
      expect(pub.stderr).toContain(`ok     /p2p/${net.peerId.toString()}`)
      expect(net.router.describeRecord({ toMultihash: () => parseName(k51 ?? '').multihash })).toBe(`/ipfs/${cid}`)
      const res = captureIO({ CAIRN_HOME: join(home, 'p2p-reader') })
      expect(await main(['ipns', 'resolve', '--peer', peer, '--json', k51 ?? ''], res)).toBe(0)
      expect(JSON.parse(res.stdout)).toMatchObject({ value: `/ipfs/${cid}`, sequence: '0' })
      // the exported record, carried unchanged to the peer (a republisher without the key)
      const recordFile = join(home, 'p2p-cli.ipns-record')
      expect(await main(['ipns', 'export-record', k51 ?? '', '--output', recordFile], captureIO())).toBe(0)
      const push = captureIO({ CAIRN_HOME: join(home, 'p2p-carrier') })
      expect(await main(['ipns', 'push', '--peer', peer, '--name', k51 ?? '', recordFile], push)).toBe(0)
      expect(push.stderr).toContain(`ok     /p2p/${net.peerId.toString()}`)
      // an unreachable peer is named, and nothing is published
      const dead = captureIO(env)
      expect(await main(['ipns', 'republish', '--key', 'p2p-cli', '--peer', `/ip4/127.0.0.1/tcp/1/ws/p2p/${net.peerId.toString()}`], dead)).toBe(1)
      expect(dead.stderr).toMatch(/None of the given peers could be reached/)
      expect(net.router.describeRecord({ toMultihash: () => parseName(k51 ?? '').multihash })).toBe(`/ipfs/${cid}`)
    } finally {
      await net.stop()
    }
  })

  it('explains missing arguments', async () => {
    const io = captureIO()
    expect(await main(['ipns', 'publish', 'bafkqaaa'], io)).toBe(2)
    expect(io.stderr).toMatch(/--key/)
    const bad = captureIO()
    expect(await main(['ipns', 'publish', '--key', 'www', '--lifetime', 'soon', '--routing', server.url, 'bafkqaaa'], bad)).toBe(1)
    expect(bad.stderr).toMatch(/not a duration/)
  })
})
