/**
 * `cairn restic copy` into and out of an `ipns://` repository on the local network: a folder's
 * snapshots go into IPFS, come back out into another folder, and real restic checks both ends.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
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

describe.skipIf(SKIP)('cairn restic copy with an ipns:// repository', () => {
  it('copies a folder repository into IPFS and back out; restic checks the result', async () => {
    requireRestic()
    const home = tempDir('copy-home')
    mkdirSync(join(home, 'ipns'), { recursive: true })
    const ds = new FsDatastore(join(home, 'ipns'))
    await ds.open()
    const key = await new KeyStore({ datastore: ds, protection: { passphrase: 'kp' }, scryptLogN: 10 }).generate('copies')
    await ds.close()
    const ipns = `ipns://${key.name.k51}`

    const work = tempDir('copy-work')
    writeFileSync(join(work, 'pw'), PASSWORD + '\n')
    const src = join(work, 'src')
    mkdirSync(src, { recursive: true })
    writeFileSync(join(src, 'data.bin'), prng('copy-data', 1_500_000))
    await resticAsync(['init'], { repo: join(work, 'folder') })
    await resticAsync(['backup', '--host', 'h', src], { repo: join(work, 'folder') })
    writeFileSync(join(src, 'more.txt'), 'more')
    await resticAsync(['backup', '--host', 'h', src], { repo: join(work, 'folder') })

    const env = { CAIRN_HOME: home, CAIRN_KEY_PASSPHRASE: 'kp', CAIRN_SCRYPT_LOG_N: '10' }
    const net2 = ['--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '']
    const run = async (args: string[]): Promise<ReturnType<typeof captureIO>> => {
      const io = captureIO({ cwd: work, env })
      const code = await main(['restic', '--password-file', 'pw', ...net2, ...args], io)
      expect(code, `${args.join(' ')}: ${io.stderr}`).toBe(0)
      return io
    }
    await run(['--repo', ipns, 'init'])
    const into = JSON.parse((await run(['--repo', ipns, 'copy', '--from-repo', 'folder', '--from-password-file', 'pw', '--json'])).stdout) as { copied: unknown[] }
    expect(into.copied).toHaveLength(2)
    const again = JSON.parse((await run(['--repo', ipns, 'copy', '--from-repo', 'folder', '--from-password-file', 'pw', '--json'])).stdout) as { copied: unknown[], skipped: unknown[] }
    expect(again.copied).toHaveLength(0)
    expect(again.skipped).toHaveLength(2)
    await run(['--repo', ipns, 'check', '--read-data'])

    // And out again: the IPFS repository as the source.
    await resticAsync(['init'], { repo: join(work, 'back') })
    const out = JSON.parse((await run(['--repo', 'back', 'copy', '--from-repo', ipns, '--from-password-file', 'pw', '--json'])).stdout) as { copied: unknown[] }
    expect(out.copied).toHaveLength(2)
    await resticAsync(['check', '--read-data'], { repo: join(work, 'back') })
    const snaps = JSON.parse((await resticAsync(['snapshots', '--json'], { repo: join(work, 'back') })).stdout) as Array<{ original?: string }>
    const origin = JSON.parse((await resticAsync(['snapshots', '--json'], { repo: join(work, 'folder') })).stdout) as Array<{ id: string }>
    expect(snaps.map(s => s.original).sort()).toEqual(origin.map(s => s.id).sort())
  }, 240_000)
})
