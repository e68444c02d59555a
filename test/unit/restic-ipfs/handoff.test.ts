/**
 * Issue #18, third fault: a `cairn restic … --repo ipns://…` name must never point at blocks that
 * live only in the writer's `$CAIRN_HOME`. Before the name moves, the CLI hands the new root to its
 * `--peer` keepers (the local network pins it over `/cairn/pin/1.0.0`), or refuses to publish.
 *
 * Device A backs up and exits, its home is deleted, and device B (another home, same `--routing`
 * and `--peer`) lists and restores byte for byte. With the keeper down, the backup refuses to
 * publish and the name keeps the previous root; without `--peer` it refuses unless `--no-keeper`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FsDatastore } from 'datastore-fs'
import { MemoryDatastore } from 'datastore-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { KeyStore, NameStateStore, resolve } from '../../../src/ipfs/ipns/index.js'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import { captureIO } from '../../helpers/cli-io.js'
import { startNetworkWithBystander } from '../../helpers/local-network.js'
import { PASSWORD, prng, tempDir } from '../../interop/restic/helpers.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'

let net: LocalNetwork
let stopNetwork: (() => Promise<void>) | undefined

beforeAll(async () => { ({ net, stop: stopNetwork } = await startNetworkWithBystander()) }, 30_000)
afterAll(async () => { await stopNetwork?.() })

/** A Cairn home holding a new IPNS key; returns the home and the repository URL. */
async function homeWithKey (label: string): Promise<{ home: string, repo: string, name: string }> {
  const home = tempDir(`handoff-${label}`)
  mkdirSync(join(home, 'ipns'), { recursive: true })
  const ds = new FsDatastore(join(home, 'ipns'))
  await ds.open()
  const key = await new KeyStore({ datastore: ds, protection: { passphrase: 'kp' }, scryptLogN: 10 }).generate('backups')
  await ds.close()
  return { home, repo: `ipns://${key.name.k51}`, name: key.name.k51 }
}

/** What the name points at now, asked of the routing server. */
async function rootOf (name: string): Promise<string> {
  const res = await resolve({ routers: [net.routingUrl], state: new NameStateStore(new MemoryDatastore()) }, name, { signal: AbortSignal.timeout(15_000) })
  return res.value
}

function workDir (label: string): { work: string, src: string } {
  const work = tempDir(`handoff-work-${label}`)
  writeFileSync(join(work, 'pw'), PASSWORD + '\n')
  const src = join(work, 'src')
  mkdirSync(join(src, 'sub'), { recursive: true })
  writeFileSync(join(src, 'hello.txt'), `hello from device A (${label})\n`)
  writeFileSync(join(src, 'sub', 'data.bin'), prng(`handoff-${label}`, 1_500_000))
  return { work, src }
}

type Run = (args: string[], expected?: number) => Promise<ReturnType<typeof captureIO>>

function runner (work: string, home: string, repo: string, net: string[]): Run {
  const env = { CAIRN_HOME: home, CAIRN_KEY_PASSPHRASE: 'kp', CAIRN_SCRYPT_LOG_N: '10' }
  return async (args, expected = 0) => {
    const io = captureIO({ cwd: work, env })
    const code = await main(['restic', '--repo', repo, '--password-file', 'pw', '--routing', net[0] ?? '', ...net.slice(1), ...args], io)
    expect(code, `${args.join(' ')}: ${io.stderr}`).toBe(expected)
    return io
  }
}

describe('cairn restic --repo ipns://… hands its blocks to the --peer keepers before publishing', () => {
  it('device A backs up and exits, its CAIRN_HOME is deleted; device B lists and restores byte for byte', async () => {
    const a = await homeWithKey('a')
    const { work, src } = workDir('a')
    const flags = [net.routingUrl, '--peer', net.relayAddrs[0] ?? '']
    const runA = runner(work, a.home, a.repo, flags)
    await runA(['init'])
    const backup = await runA(['backup', 'src', '--host', 'device-a'])
    const published = await rootOf(a.name)

    // A is gone: its process ended (main returned, its node stopped) and its home is deleted.
    rmSync(a.home, { recursive: true, force: true })

    const b = tempDir('handoff-b')
    const workB = tempDir('handoff-work-b')
    writeFileSync(join(workB, 'pw'), PASSWORD + '\n')
    const runB = runner(workB, b, a.repo, flags)
    const snaps = JSON.parse((await runB(['snapshots', '--json'])).stdout) as Array<{ hostname: string }>
    expect(snaps.map(s => s.hostname)).toEqual(['device-a'])
    await runB(['restore', 'latest', '--target', 'restored'])
    expect(readFileSync(join(workB, 'restored', 'src', 'hello.txt'), 'utf8')).toBe('hello from device A (a)\n')
    expect(readFileSync(join(workB, 'restored', 'src', 'sub', 'data.bin')).equals(readFileSync(join(src, 'sub', 'data.bin')))).toBe(true)

    // A said where the root went: the keeper pinned the root the name now points at, and the
    // file's (incompressible) bytes were among those sent.
    expect(backup.stderr).toMatch(/keeper \S+ pinned it: \d+ blocks, \d+ sent \(\d+ bytes\)/)
    expect(published).toBe(`/ipfs/${/handing root (\S+) to 1 keeper/.exec(backup.stderr)?.[1] ?? ''}`)
    expect(Number(/(\d+) sent \((\d+) bytes\)/.exec(backup.stderr)?.[2])).toBeGreaterThan(1_500_000)
  }, 180_000)

  it('with the keeper down the backup refuses to publish and the name keeps its previous root; once a keeper is back, a retry publishes everything', async () => {
    // K is the keeper; the network N routes and relays but declines pin requests meanwhile.
    const keeper = await startLocalNetwork()
    net.setAcceptPinRequests(false)
    try {
      const a = await homeWithKey('down')
      const { work, src } = workDir('down')
      const flags = [net.routingUrl, '--peer', net.relayAddrs[0] ?? '', '--peer', keeper.relayAddrs[0] ?? '']
      const runA = runner(work, a.home, a.repo, flags)
      await runA(['init'])
      const first = await runA(['backup', 'src', '--host', 'first'])
      const before = await rootOf(a.name)

      await keeper.stop()
      writeFileSync(join(src, 'second.txt'), 'written while the keeper is down\n')
      const refused = await runA(['backup', 'src', '--host', 'second'], 1)
      expect(refused.stderr).toContain('is pinned only on this node: no keeper confirmed it holds it')
      expect(refused.stderr).toContain('still points at its previous root')
      expect(refused.stderr).toContain('--no-keeper')
      expect(await rootOf(a.name)).toBe(before)
      const listed = JSON.parse((await runA(['snapshots', '--json'])).stdout) as Array<{ hostname: string }>
      expect(listed.map(s => s.hostname)).toEqual(['first'])

      // N takes pins again: the retry hands over the whole DAG (K, which held the first
      // snapshot, is gone) and moves the name; another home then sees both snapshots.
      net.setAcceptPinRequests(true)
      const retry = await runA(['backup', 'src', '--host', 'second'])
      expect(retry.stderr).toMatch(/pinned it: \d+ blocks/)
      expect(await rootOf(a.name)).not.toBe(before)
      rmSync(a.home, { recursive: true, force: true })
      const workB = tempDir('handoff-work-down-b')
      writeFileSync(join(workB, 'pw'), PASSWORD + '\n')
      const runB = runner(workB, tempDir('handoff-down-b'), a.repo, [net.routingUrl, '--peer', net.relayAddrs[0] ?? ''])
      const snaps = JSON.parse((await runB(['snapshots', '--json'])).stdout) as Array<{ hostname: string }>
      expect(snaps.map(s => s.hostname).sort()).toEqual(['first', 'second'])
      await runB(['restore', 'latest', '--target', 'restored'])
      expect(readFileSync(join(workB, 'restored', 'src', 'second.txt'), 'utf8')).toBe('written while the keeper is down\n')
      // The first backup went to K alone: N said why it did not take it.
      expect(first.stderr).toMatch(/did not pin it: .*declined/)
    } finally {
      net.setAcceptPinRequests(true)
      await keeper.stop().catch(() => {})
    }
  }, 240_000)

  it('a second backup sends only the blocks the keeper lacks', async () => {
    const a = await homeWithKey('delta')
    const { work, src } = workDir('delta')
    const runA = runner(work, a.home, a.repo, [net.routingUrl, '--peer', net.relayAddrs[0] ?? ''])
    await runA(['init'])
    await runA(['backup', 'src'])
    writeFileSync(join(src, 'small.txt'), 'a small change\n')
    const second = await runA(['backup', 'src'])
    const m = /pinned it: (\d+) blocks, (\d+) sent \((\d+) bytes\)/.exec(second.stderr)
    expect(m, second.stderr).not.toBeNull()
    const [total, sent, bytes] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])]
    expect(sent).toBeGreaterThan(0)
    expect(sent).toBeLessThan(total)
    expect(bytes).toBeLessThan(1_500_000) // the big file's pack was already there
  }, 180_000)

  it('without --peer an ipns:// repository is not published unless --no-keeper says so', async () => {
    const a = await homeWithKey('none')
    const { work } = workDir('none')
    const runA = runner(work, a.home, a.repo, [net.routingUrl])
    const refused = await runA(['init'], 1)
    expect(refused.stderr).toContain('No keeper was given')
    expect(refused.stderr).toContain('--no-keeper')
    await expect(rootOf(a.name)).rejects.toThrow()
    await runA(['init', '--no-keeper'])
    expect(await rootOf(a.name)).toMatch(/^\/ipfs\//)
  }, 120_000)
})
