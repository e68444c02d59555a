/**
 * One repository, several devices (issue #18): separate `CAIRN_HOME`s on one loopback network.
 * Only the first home created the name; the second knows only the password and publishes with the
 * key the repository carries. Both back up one after the other and at the same time; a third home
 * then sees every snapshot on the name, exports the repository, and real restic 0.14 checks it
 * (--read-data) and restores each snapshot byte for byte. A home without any key is read-only.
 *
 * A CLI command's blocks live in its home and go offline when it ends (handing them to keepers is
 * another part of the issue), so `keep()` copies each home's blocks to the network peer here.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { FsDatastore } from 'datastore-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { KeyStore, nameFromPublicKey } from '../../../src/ipfs/ipns/index.js'
import { openIpfsRepoBackend } from '../../../src/node/restic-ipfs/index.js'
import { Repository } from '../../../src/restic/index.js'
import { captureIO } from '../../helpers/cli-io.js'
import { startNetworkWithBystander } from '../../helpers/local-network.js'
import { PASSWORD, SKIP, prng, requireRestic, resticAsync, tempDir } from '../../interop/restic/helpers.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { CapturedIO } from '../../helpers/cli-io.js'

let net: LocalNetwork
let stopNetwork: (() => Promise<void>) | undefined

beforeAll(async () => { ({ net, stop: stopNetwork } = await startNetworkWithBystander()) }, 30_000)
afterAll(async () => { await stopNetwork?.() })

async function until (cond: () => boolean, what: () => string): Promise<void> {
  const signal = AbortSignal.timeout(60_000)
  while (!cond()) {
    if (signal.aborted) throw new Error(`timed out waiting; ${what()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** Copies every block of a home to the network peer, which then serves them (a stand-in keeper). */
async function keep (home: string): Promise<void> {
  const store = new FsBlockstore(join(home, 'blocks'))
  await store.open()
  try {
    for await (const pair of store.getAll()) {
      if (await net.helia.blockstore.has(pair.cid)) continue
      const p = pair as unknown as { cid: Parameters<typeof net.helia.blockstore.put>[0], bytes: Uint8Array | AsyncIterable<Uint8Array> }
      let bytes: Uint8Array
      if (p.bytes instanceof Uint8Array) bytes = p.bytes
      else {
        const parts: Uint8Array[] = []
        for await (const c of p.bytes) parts.push(c)
        bytes = new Uint8Array(Buffer.concat(parts))
      }
      await net.helia.blockstore.put(p.cid, bytes)
    }
  } catch (err) {
    // A block file being written by a running command: the next round copies it.
    if ((err as { code?: string }).code !== 'ENOENT') throw err
  } finally {
    await store.close()
  }
}

async function homeWithKey (): Promise<{ home: string, name: string }> {
  const home = tempDir('md-home')
  mkdirSync(join(home, 'ipns'), { recursive: true })
  const ds = new FsDatastore(join(home, 'ipns'))
  await ds.open()
  const key = await new KeyStore({ datastore: ds, protection: { passphrase: 'kp' }, scryptLogN: 10 }).generate('backups')
  await ds.close()
  return { home, name: key.name.k51 }
}

describe.skipIf(SKIP)('a repository on one IPNS name, written from several devices', () => {
  it('a second device with only the password publishes; sequential and concurrent backups all stay on the name; restic checks and restores every snapshot', async () => {
    requireRestic()
    const { home: homeA, name } = await homeWithKey()
    const homeB = tempDir('md-home-b')
    const homeC = tempDir('md-home-c')
    const repo = `ipns://${name}`
    const work = tempDir('md-work')
    writeFileSync(join(work, 'pw'), PASSWORD + '\n')
    const sources: Record<string, Uint8Array> = {}
    for (const s of ['a1', 'b1', 'a2', 'b2']) {
      mkdirSync(join(work, s), { recursive: true })
      sources[s] = prng(`md-${s}`, 300_000 + s.charCodeAt(0) * 1000 + Number(s[1]) * 7)
      writeFileSync(join(work, s, 'file.bin'), sources[s])
    }
    const run = async (home: string, args: string[], expectCode = 0): Promise<CapturedIO> => {
      const io = captureIO({ cwd: work, env: { CAIRN_HOME: home, CAIRN_KEY_PASSPHRASE: 'kp', CAIRN_SCRYPT_LOG_N: '10' } })
      const code = await main(['restic', '--repo', repo, '--password-file', 'pw', '--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '', ...args], io)
      expect(code, `${args.join(' ')}: ${io.stderr}`).toBe(expectCode)
      return io
    }
    const hostsOnName = async (): Promise<string[]> => {
      const snaps = JSON.parse((await run(homeC, ['snapshots', '--json'])).stdout) as Array<{ hostname: string }>
      return snaps.map(s => s.hostname).sort()
    }

    await run(homeA, ['init'])
    await run(homeA, ['backup', 'a1', '--host', 'a1'])
    await keep(homeA)
    // B holds no key: it unlocks the one the repository carries, and publishes.
    const b1 = await run(homeB, ['backup', 'b1', '--host', 'b1'])
    expect(b1.stderr).not.toMatch(/read-only/)
    await keep(homeB)
    expect(await hostsOnName()).toEqual(['a1', 'b1'])

    // At the same time: each publishes after the other moved the name, so each merges.
    let copying = true
    const copier = (async () => {
      while (copying) {
        await keep(homeA)
        await keep(homeB)
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    })()
    try {
      const both = await Promise.all([run(homeA, ['backup', 'a2', '--host', 'a2']), run(homeB, ['backup', 'b2', '--host', 'b2'])])
      // Both opened the same root; whichever published second merged with the other's.
      expect(both.map(io => io.stderr).join('\n')).toMatch(/another device published \S+ meanwhile: merged/)
    } finally {
      copying = false
      await copier
    }
    await keep(homeA)
    await keep(homeB)
    expect(await hostsOnName()).toEqual(['a1', 'a2', 'b1', 'b2'])

    // A third home exports; real restic checks every byte and restores each snapshot.
    await run(homeC, ['export', 'exported'])
    const exported = join(work, 'exported')
    const check = await resticAsync(['check', '--read-data'], { repo: exported })
    expect(check.stdout).toContain('no errors were found')
    const listed = JSON.parse((await resticAsync(['snapshots', '--json'], { repo: exported })).stdout) as Array<{ id: string, hostname: string }>
    expect(listed.map(s => s.hostname).sort()).toEqual(['a1', 'a2', 'b1', 'b2'])
    for (const snap of listed) {
      const target = join(work, `restored-${snap.hostname}`)
      await resticAsync(['restore', snap.id, '--target', target], { repo: exported })
      expect(readFileSync(join(target, snap.hostname, 'file.bin')).equals(Buffer.from(sources[snap.hostname] as Uint8Array))).toBe(true)
    }
  }, 300_000)

  it('cairn serve restic merges a snapshot another device published through the name, and keeps both', async () => {
    requireRestic()
    const key = await generateKeyPair('Ed25519')
    const name = nameFromPublicKey(key.publicKey).k51
    const homeA = tempDir('md-serve-a')
    const homeB = tempDir('md-serve-b')
    for (const home of [homeA, homeB]) {
      mkdirSync(join(home, 'ipns'), { recursive: true })
      const ds = new FsDatastore(join(home, 'ipns'))
      await ds.open()
      await new KeyStore({ datastore: ds, protection: { passphrase: 'kp' }, scryptLogN: 10 }).importKey('backups', privateKeyToProtobuf(key))
      await ds.close()
    }
    const work = tempDir('md-serve-work')
    writeFileSync(join(work, 'pw'), PASSWORD + '\n')
    for (const s of ['rest1', 'cli', 'rest2']) {
      mkdirSync(join(work, s))
      writeFileSync(join(work, s, `${s}.bin`), prng(`md-serve-${s}`, 200_000))
    }
    const controller = new AbortController()
    const io = captureIO({ env: { CAIRN_HOME: homeA, CAIRN_KEY_PASSPHRASE: 'kp' }, signal: controller.signal })
    const exit = main(['serve', 'restic', '--repo', `ipns://${name}`, '--init', '--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '',
      '--listen', '127.0.0.1:0', '--idle', '500', '--json'], io)
    try {
      await until(() => io.stdout.includes('\n'), () => io.stderr)
      const url = (JSON.parse(io.stdout.split('\n')[0] ?? '') as { url: string }).url
      const sessions = (): Array<{ root: string, published: string | null }> => io.stdout.trim().split('\n').slice(1).map(l => JSON.parse(l) as { root: string, published: string | null })
      await resticAsync(['init'], { repo: `rest:${url}` })
      await until(() => sessions().length >= 1, () => io.stdout + io.stderr)
      await resticAsync(['backup', '--host', 'rest1', join(work, 'rest1')], { repo: `rest:${url}` })
      await until(() => sessions().length >= 2, () => io.stdout + io.stderr)
      // Another device (its own home, the same key) backs up straight into the name; the serving
      // node's blocks are handed to the network peer too (see keep()).
      await keep(homeA)
      const cli = captureIO({ cwd: work, env: { CAIRN_HOME: homeB, CAIRN_KEY_PASSPHRASE: 'kp' } })
      const code = await main(['restic', '--repo', `ipns://${name}`, '--password-file', 'pw', '--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '', 'backup', 'cli', '--host', 'cli'], cli)
      expect(code, cli.stderr).toBe(0)
      await keep(homeB)
      // The next backup through the server must publish a root that still holds that snapshot.
      const before = sessions().length
      await resticAsync(['backup', '--host', 'rest2', join(work, 'rest2')], { repo: `rest:${url}` })
      await until(() => sessions().length > before, () => io.stdout + io.stderr)
      expect(sessions().at(-1)?.published).toBe(name)
      await keep(homeA)
      const homeC = tempDir('md-serve-c')
      const list = captureIO({ cwd: work, env: { CAIRN_HOME: homeC } })
      expect(await main(['restic', '--repo', `ipns://${name}`, '--password-file', 'pw', '--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '', 'snapshots', '--json'], list), list.stderr).toBe(0)
      expect((JSON.parse(list.stdout) as Array<{ hostname: string }>).map(s => s.hostname).sort()).toEqual(['cli', 'rest1', 'rest2'])
    } finally {
      controller.abort()
      expect(await exit, io.stderr).toBe(0)
    }
  }, 240_000)

  it('a device with no key, on a repository that does not carry one, is read-only and says so', async () => {
    const { home: homeA, name } = await homeWithKey()
    const repo = `ipns://${name}`
    // A repository made before the key travelled with it (no cairn-ipns-key file).
    const made = await openIpfsRepoBackend(repo, { home: homeA, passphrase: 'kp', routingUrl: net.routingUrl, relayAddrs: net.relayAddrs, createIfMissing: true })
    await Repository.init(made.backend, { password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 } })
    await made.close()
    await keep(homeA)
    const work = tempDir('md-ro-work')
    writeFileSync(join(work, 'pw'), PASSWORD + '\n')
    mkdirSync(join(work, 'd1'))
    writeFileSync(join(work, 'd1', 'f.txt'), 'from d1\n')
    mkdirSync(join(work, 'a1'))
    writeFileSync(join(work, 'a1', 'f.txt'), 'from a1\n')
    const homeD = tempDir('md-ro-d')
    const run = async (home: string, args: string[]): Promise<CapturedIO & { code: number }> => {
      const io = captureIO({ cwd: work, env: { CAIRN_HOME: home, CAIRN_KEY_PASSPHRASE: 'kp' } })
      const code = await main(['restic', '--repo', repo, '--password-file', 'pw', '--routing', net.routingUrl, '--peer', net.relayAddrs[0] ?? '', ...args], io)
      return Object.assign(io, { code })
    }
    const refused = await run(homeD, ['backup', 'd1', '--host', 'd1'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/read-only here: this device holds no key for the name, and the repository does not carry it yet/)
    const listed = await run(homeD, ['snapshots', '--json'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stderr).toMatch(/read-only here/)
    // The creating device writes once: the repository gains the key, and D can back up.
    expect((await run(homeA, ['backup', 'a1', '--host', 'a1'])).code).toBe(0)
    await keep(homeA)
    const now = await run(homeD, ['backup', 'd1', '--host', 'd1'])
    expect(now.code, now.stderr).toBe(0)
    await keep(homeD)
    const all = await run(tempDir('md-ro-e'), ['snapshots', '--json'])
    expect((JSON.parse(all.stdout) as Array<{ hostname: string }>).map(s => s.hostname).sort()).toEqual(['a1', 'd1'])
  }, 180_000)
})
