/**
 * `cairn restic --repo ipns://<name>` end to end: init and back up straight into IPFS (the name is
 * republished when each command ends), list and restore through the name, then `cairn restic
 * export` writes a plain folder that real restic checks and restores byte for byte.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FsDatastore } from 'datastore-fs'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { KeyStore } from '../../../src/ipfs/ipns/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { captureIO } from '../../helpers/cli-io.js'
import { PASSWORD, SKIP, prng, requireRestic, resticAsync, tempDir } from '../../interop/restic/helpers.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { TestPeer } from '../../../src/node/network/test-peer.js'

let net: LocalNetwork
let bystander: TestPeer | undefined

beforeAll(async () => {
  net = await startLocalNetwork()
  // The routing server answers an unknown IPNS name promptly only with a peer connected (see the
  // notes in serve.test.ts).
  bystander = await createTestPeer()
  await bystander.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
}, 30_000)
afterAll(async () => {
  await bystander?.stop()
  await net?.stop()
})

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

    await run(['export', 'exported'])
    const exported = join(work, 'exported')
    await resticAsync(['check', '--read-data'], { repo: exported })
    await resticAsync(['restore', 'latest', '--target', join(work, 'by-restic')], { repo: exported })
    expect(readFileSync(join(work, 'by-restic', 'src', 'hello.txt'), 'utf8')).toBe('hello from cairn restic over IPNS\n')
    expect(readFileSync(join(work, 'by-restic', 'src', 'sub', 'data.bin')).equals(Buffer.from(prng('cli-data', 2_500_000)))).toBe(true)
  }, 180_000)

  it('export refuses a repository that is not on IPFS, and says what to use', async () => {
    const io = captureIO({ env: { RESTIC_PASSWORD: 'x' } })
    expect(await main(['restic', '--repo', '/tmp/nowhere', 'export', 'x'], io)).toBe(1)
    expect(io.stderr).toContain('--repo ipns://')
  })
})
