/**
 * Remote restore bench (issue #15 item 5): the first small file out of a restic repository on
 * IPFS, from a fresh node, before and after, in the same run.
 *
 * - real restic 0.14 writes a repository of many small files (`--size` MiB) into a temporary folder;
 * - the local network peer (relay, bitswap, Routing V1, trustless gateway on loopback) gets it as a
 *   UnixFS repository through the IPFS backend, and its name is published to the peer's router;
 * - each run starts a fresh Cairn node (in-memory stores, the page's composition: bitswap, the
 *   gateway broker, delegated routing) connected to the peer, opens the repository by name with the
 *   password, lists snapshots, loads the index, walks to the first file under `--small` KiB and
 *   restores it;
 * - "before" runs the same flow with the `src/` of `--before` (a commit, extracted once with
 *   `git archive`), "after" with this checkout's `src/`, alternating, `--runs` times each.
 *
 * Bytes fetched are counted where the peer reads its blockstore (bitswap and the gateway both read
 * there); bytes needed are the distinct blocks the fresh node ended up holding after the run.
 *
 *   npx tsx bench/remote-restore/run.ts [--size 256] [--runs 3] [--before <rev>] [--small 128]
 *
 * Prints JSON and writes bench-results/remote-restore.json.
 */
import '../../src/node/polyfill-node20.js'
import '../../src/node/network/websocket-node20.js'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import type * as SettingsMod from '../../src/core/settings.js'
import type * as IpnsMod from '../../src/ipfs/ipns/index.js'
import type * as NodeMod from '../../src/ipfs/node.js'
import type * as BackendMod from '../../src/ipfs/restic-backend/index.js'
import type * as ResticMod from '../../src/restic/index.js'
import type * as KeyFileMod from '../../src/restic/repofile/key-file.js'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
    before: { type: 'string', default: 'HEAD' },
    small: { type: 'string', default: '128' },
    'no-before': { type: 'boolean', default: false },
    /** Internal: run one client (a fresh process per run, so the two `src/` copies never share a WASM module). */
    client: { type: 'string' }
  }
})
const execFileAsync = promisify(execFile)
const SIZE_MIB = Number(args.size)
const RUNS = Number(args.runs)
const SMALL = Number(args.small) * 1024
const ROOT = resolve(import.meta.dirname, '../..')
const PASSWORD = 'bench-password'

/** A blockstore whose `get` counts the bytes it hands out (what the peer serves). */
function counting (inner: Blockstore): { store: Blockstore, served: { bytes: number, blocks: number } } {
  const served = { bytes: 0, blocks: 0 }
  const store = new Proxy(inner, {
    get (target, prop, receiver) {
      if (prop === 'get') {
        return async function * (cid: CID, options?: unknown) {
          served.blocks++
          for await (const chunk of (target.get as (c: CID, o?: unknown) => AsyncIterable<Uint8Array>)(cid, options)) {
            served.bytes += chunk.byteLength
            yield chunk
          }
        }
      }
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    }
  })
  return { store, served }
}

async function makeResticRepo (dir: string): Promise<void> {
  const src = join(dir, 'src')
  await mkdir(src, { recursive: true })
  let total = 0
  let i = 0
  // Many small files (16–160 KiB) in folders of 200, and a few larger ones.
  while (total < SIZE_MIB * 1024 * 1024) {
    const folder = join(src, `d${Math.floor(i / 200)}`)
    if (i % 200 === 0) await mkdir(folder, { recursive: true })
    const size = i % 50 === 49 ? 4 * 1024 * 1024 : 16 * 1024 + Math.floor(Math.random() * 144 * 1024)
    await writeFile(join(folder, `f${i}.bin`), randomBytes(size))
    total += size
    i++
  }
  const env = { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(dir, 'cache') }
  execFileSync('restic', ['-r', join(dir, 'repo'), 'init', '-q'], { env })
  execFileSync('restic', ['-r', join(dir, 'repo'), 'backup', '-q', '--host', 'bench', '.'], { env, cwd: src })
}

async function listFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await listFiles(p))
    else out.push(p)
  }
  return out
}

type Src = string

async function extractBefore (rev: string): Promise<Src> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-before-'))
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${rev}" src package.json tsconfig.json | tar -x -C "${dir}"`])
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  return join(dir, 'src')
}

interface RunResult { variant: string, ms: number, rootMs: number, openMs: number, scryptMs: number, fetchedBytes: number, fetchedBlocks: number, neededBytes: number, neededBlocks: number, fileBytes: number }

interface ClientArgs { src: Src, variant: string, net: { relayAddrs: string[], gatewayUrl: string, routingUrl: string }, name: string }

async function run ({ src, variant, net, name }: ClientArgs): Promise<Omit<RunResult, 'fetchedBytes' | 'fetchedBlocks'>> {
  const { createNode } = await import(join(src, 'ipfs/node.js')) as typeof NodeMod
  const { EMPTY_SETTINGS } = await import(join(src, 'core/settings.js')) as typeof SettingsMod
  const { createIpfsBackend } = await import(join(src, 'ipfs/restic-backend/index.js')) as typeof BackendMod
  const { NameStateStore } = await import(join(src, 'ipfs/ipns/index.js')) as typeof IpnsMod
  const restic = await import(join(src, 'restic/index.js')) as typeof ResticMod
  const restore = await import(join(src, 'ipfs/restic-backend/index.js')) as Record<string, unknown>
  const keyFiles = await import(join(src, 'restic/repofile/key-file.js')) as typeof KeyFileMod
  const blockstore = new MemoryBlockstore()
  const relay = net.relayAddrs[0] ?? ''
  const node = createNode({
    blockstore,
    datastore: new MemoryDatastore(),
    webrtc: false,
    settings: { ...EMPTY_SETTINGS, bootstrap: [relay], relays: [relay], gateways: [net.gatewayUrl], delegatedRouters: [net.routingUrl] }
  })
  await node.start()
  const { multiaddr } = await import('@multiformats/multiaddr')
  await node.libp2p.dial(multiaddr(relay), { signal: AbortSignal.timeout(15_000) })
  await new Promise(resolve => setTimeout(resolve, 200))
  const t0 = performance.now()
  const backend = await createIpfsBackend({ helia: node }, { name, ipns: { routers: [net.routingUrl], state: new NameStateStore(new MemoryDatastore()) }, gateways: [net.gatewayUrl] } as Parameters<typeof createIpfsBackend>[1])
  const rootMs = performance.now() - t0
  const warm = restore.warmRepository as undefined | ((b: unknown, o: unknown) => Promise<void>)
  const warming = warm?.(backend, {})
  const repo = await restic.Repository.open(backend, { password: PASSWORD })
  const openMs = performance.now() - t0
  const snaps = await restic.listSnapshots(repo)
  const latest = snaps.sort((a, b) => a.time.localeCompare(b.time)).at(-1)
  if (latest === undefined) throw new Error('no snapshot')
  await repo.loadIndex()
  let tree = await restic.loadTree(repo, latest.tree ?? '')
  let file
  for (let depth = 0; depth < 16 && file === undefined; depth++) {
    file = tree.nodes.find(n => n.type === 'file' && (n.size ?? 0) > 0 && (n.size ?? 0) <= SMALL)
    if (file !== undefined) break
    const dir = tree.nodes.find(n => n.type === 'dir')
    if (dir?.subtree == null) break
    tree = await restic.loadTree(repo, dir.subtree)
  }
  if (file === undefined) throw new Error('no small file found')
  let fileBytes = 0
  for (const id of file.content ?? []) fileBytes += (await repo.loadBlob('data', id)).byteLength
  const ms = performance.now() - t0
  await warming?.catch(() => {})
  // The password check alone (scrypt with the key file's parameters), for the breakdown.
  const keyName = (await backend.list('keys')).at(0)?.name ?? ''
  const keyFile = JSON.parse(new TextDecoder().decode(await backend.read({ type: 'keys', name: keyName }))) as Parameters<typeof keyFiles.openKeyFile>[0]
  const tk = performance.now()
  await keyFiles.openKeyFile(keyFile, PASSWORD)
  const scryptMs = performance.now() - tk
  let neededBytes = 0
  let neededBlocks = 0
  for await (const pair of blockstore.getAll()) {
    for await (const c of pair.bytes) neededBytes += c.byteLength
    neededBlocks++
  }
  await node.stop()
  return { variant, ms: Math.round(ms), rootMs: Math.round(rootMs), openMs: Math.round(openMs), scryptMs: Math.round(scryptMs), neededBytes, neededBlocks, fileBytes }
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-remote-restore-'))
  let before: Src | undefined
  const { startLocalNetwork } = await import('../../src/node/network/index.js')
  const { createIpfsBackend } = await import('../../src/ipfs/restic-backend/index.js')
  const { NameStateStore, nameFromPublicKey } = await import('../../src/ipfs/ipns/index.js')
  const counted = counting(new MemoryBlockstore())
  const net = await startLocalNetwork({ blockstore: counted.store })
  try {
    const t = performance.now()
    await makeResticRepo(dir)
    const key = await generateKeyPair('Ed25519')
    const writer = await createIpfsBackend({ helia: net.helia }, { ipns: { routers: [net.routingUrl], state: new NameStateStore(new MemoryDatastore()), privateKey: key } })
    await writer.create()
    const repoDir = join(dir, 'repo')
    for (const f of await listFiles(repoDir)) {
      const rel = relative(repoDir, f).split('/')
      const type = rel[0] === 'config' ? 'config' : rel[0] as 'keys' | 'snapshots' | 'index' | 'data' | 'locks'
      const name = type === 'config' ? '' : rel.at(-1) ?? ''
      await writer.write({ type, name }, await readFile(f))
    }
    await writer.publish()
    await writer.close()
    const name = nameFromPublicKey(key.publicKey).k51
    console.error(`repository of ${SIZE_MIB} MiB ready in ${Math.round(performance.now() - t)} ms: ipns://${name}`)
    if (args['no-before'] !== true) before = await extractBefore(args.before ?? 'HEAD')
    const results: RunResult[] = []
    const client = async (src: Src, variant: string): Promise<RunResult> => {
      counted.served.bytes = 0
      counted.served.blocks = 0
      const arg: ClientArgs = { src, variant, net: { relayAddrs: net.relayAddrs, gatewayUrl: net.gatewayUrl, routingUrl: net.routingUrl }, name }
      // Async: this process is the network peer, and must keep serving meanwhile.
      const { stdout: outText, stderr: errText } = await execFileAsync(join(ROOT, 'node_modules/.bin/tsx'), [import.meta.filename, '--client', JSON.stringify(arg)], { encoding: 'utf8', maxBuffer: 1 << 20 })
      process.stderr.write(errText)
      const r = JSON.parse(outText.trim().split('\n').at(-1) ?? '{}') as Omit<RunResult, 'fetchedBytes' | 'fetchedBlocks'>
      return { ...r, fetchedBytes: counted.served.bytes, fetchedBlocks: counted.served.blocks }
    }
    for (let i = 0; i < RUNS; i++) {
      if (before !== undefined) results.push(await client(before, 'before'))
      results.push(await client(join(ROOT, 'src'), 'after'))
      console.error(JSON.stringify(results.slice(-2)))
    }
    const summary: Record<string, unknown> = {}
    for (const variant of ['before', 'after']) {
      const rs = results.filter(r => r.variant === variant)
      if (rs.length === 0) continue
      summary[variant] = {
        runs: rs.length,
        firstFileMs: median(rs.map(r => r.ms)),
        rootMs: median(rs.map(r => r.rootMs)),
        openMs: median(rs.map(r => r.openMs)),
        scryptMs: median(rs.map(r => r.scryptMs)),
        fetchedBytes: median(rs.map(r => r.fetchedBytes)),
        neededBytes: median(rs.map(r => r.neededBytes)),
        fetchedOverNeeded: Number(median(rs.map(r => r.fetchedBytes / r.neededBytes)).toFixed(2)),
        fileBytes: median(rs.map(r => r.fileBytes))
      }
    }
    const out = { bench: 'remote-restore', sizeMiB: SIZE_MIB, summary, results }
    await mkdir(join(ROOT, 'bench-results'), { recursive: true })
    await writeFile(join(ROOT, 'bench-results', 'remote-restore.json'), JSON.stringify(out, null, 2))
    console.log(JSON.stringify(out, null, 2))
  } finally {
    await net.stop()
    await rm(dir, { recursive: true, force: true })
    if (before !== undefined) await rm(resolve(before, '..'), { recursive: true, force: true })
  }
}

if (args.client !== undefined) {
  console.log(JSON.stringify(await run(JSON.parse(args.client) as ClientArgs)))
} else {
  await main()
}
process.exit(0)
