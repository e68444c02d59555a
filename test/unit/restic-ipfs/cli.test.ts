/**
 * `cairn restic --repo ipns://<name>` end to end: init and back up straight into IPFS (the name is
 * republished when each command ends), list and restore through the name, then `cairn restic
 * export` writes a plain folder that real restic checks and restores byte for byte.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FsDatastore } from 'datastore-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { KeyStore } from '../../../src/ipfs/ipns/index.js'
import { captureIO } from '../../helpers/cli-io.js'
import { startNetworkWithBystander } from '../../helpers/local-network.js'
import { PASSWORD, SKIP, prng, requireRestic, resticAsync, tempDir } from '../../interop/restic/helpers.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'

let net: LocalNetwork
let stopNetwork: (() => Promise<void>) | undefined

beforeAll(async () => { ({ net, stop: stopNetwork } = await startNetworkWithBystander()) }, 30_000)
afterAll(async () => { await stopNetwork?.() })

describe.skipIf(SKIP)('cairn restic with an ipns:// repository', () => {
  it('init, backup, snapshots and restore through the name; export is checked and restored by real restic', async () => {
    requireRestic()
    const home = tempDir('cli-home')
    mkdirSync(join(home, 'ipns'), { recursive: true })
    const ds = new FsDatastore(join(home, 'ipns'))
    await ds.open()
    const key = await new KeyStore({ datastore: ds, protection: { passphrase: 'kp' }, scryptLogN: 10 }).generate('backups')
    await ds.close()
    const repo = `ipns://${key.name.k51}`

    const work = tempDir('cli-work')
    writeFileSync(join(work, 'pw'), PASSWORD + '\n')
    const src = join(work, 'src')
    mkdirSync(join(src, 'sub'), { recursive: true })
    writeFileSync(join(src, 'hello.txt'), 'hello from cairn restic over IPNS\n')
    writeFileSync(join(src, 'sub', 'data.bin'), prng('cli-data', 2_500_000))

    const env = { CAIRN_HOME: home, CAIRN_KEY_PASSPHRASE: 'kp', CAIRN_SCRYPT_LOG_N: '10' }
    const run = async (args: string[]): Promise<ReturnType<typeof captureIO>> => {
      const io = captureIO({ cwd: work, env })
      const code = await main(['restic', '--repo', repo, '--password-file', 'pw', '--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '', ...args], io)
      expect(code, `${args.join(' ')}: ${io.stderr}`).toBe(0)
      return io
    }

    await run(['init'])
    await run(['backup', 'src', '--host', 'cli-test'])
    const snaps = JSON.parse((await run(['snapshots', '--json'])).stdout) as Array<{ hostname: string, id: string }>
    expect(snaps.map(s => s.hostname)).toEqual(['cli-test'])

    await run(['restore', 'latest', '--target', 'restored'])
    // Like restic 0.14, a relative backup path ("src") is stored as /src.
    expect(readFileSync(join(work, 'restored', 'src', 'sub', 'data.bin')).equals(Buffer.from(prng('cli-data', 2_500_000)))).toBe(true)

    // A second password (`key add`): on IPFS, new keys get the stronger scrypt parameters too.
    writeFileSync(join(work, 'pw2'), 'a second password\n')
    await run(['key', 'add', '--new-password-file', 'pw2'])

    await run(['export', 'exported'])
    const exported = join(work, 'exported')
    const keys = readdirSync(join(exported, 'keys')).map(k => JSON.parse(readFileSync(join(exported, 'keys', k), 'utf8')) as { N: number, r: number, p: number })
    expect(keys.map(k => [k.N, k.r, k.p])).toEqual([[2 ** 17, 8, 1], [2 ** 17, 8, 1]])
    // Real restic opens the repository with either key.
    const second = spawnSync(requireRestic(), ['-r', exported, '--no-cache', 'snapshots', '--json'], { encoding: 'utf8', env: { ...process.env, RESTIC_PASSWORD: 'a second password' } })
    expect(second.status, second.stderr).toBe(0)
    expect((JSON.parse(second.stdout) as unknown[]).length).toBe(1)
    await resticAsync(['check', '--read-data'], { repo: exported })
    await resticAsync(['restore', 'latest', '--target', join(work, 'by-restic')], { repo: exported })
    expect(readFileSync(join(work, 'by-restic', 'src', 'hello.txt'), 'utf8')).toBe('hello from cairn restic over IPNS\n')
    expect(readFileSync(join(work, 'by-restic', 'src', 'sub', 'data.bin')).equals(Buffer.from(prng('cli-data', 2_500_000)))).toBe(true)
  }, 180_000)

  it('a local repository keeps restic\'s scrypt parameters (N=2^15, r=8)', async () => {
    const work = tempDir('cli-local')
    writeFileSync(join(work, 'pw'), PASSWORD + '\n')
    const io = captureIO({ cwd: work, env: {} })
    expect(await main(['restic', '--repo', join(work, 'repo'), '--password-file', 'pw', 'init'], io), io.stderr).toBe(0)
    const [key] = readdirSync(join(work, 'repo', 'keys')).map(k => JSON.parse(readFileSync(join(work, 'repo', 'keys', k), 'utf8')) as { N: number, r: number })
    expect([key?.N, key?.r]).toEqual([2 ** 15, 8])
  })

  it('export refuses a repository that is not on IPFS, and says what to use', async () => {
    const io = captureIO({ env: { RESTIC_PASSWORD: 'x' } })
    expect(await main(['restic', '--repo', '/tmp/nowhere', 'export', 'x'], io)).toBe(1)
    expect(io.stderr).toContain('--repo ipns://')
  })
})
