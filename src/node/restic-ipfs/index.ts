/**
 * Node helpers for restic repositories on IPFS: open `ipns://<name>` / `ipfs://<cid>` through a
 * Node Helia connected to a given network (relay/bootstrap peers + a Delegated Routing V1 URL),
 * with blocks, pins and IPNS keys kept under a Cairn home directory; and export a repository as a
 * plain restic folder (local layout) that `restic -r <dir>` reads.
 */
import '../polyfill-node20.js'
import '../network/websocket-node20.js'
import { open, readdir, rename, rm, stat } from 'node:fs/promises'
import { makeDir, makeDirs } from '../files/mkdirs.js'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { InvalidInputError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { EMPTY_SETTINGS } from '../../core/settings.js'
import { createNode } from '../../ipfs/node.js'
import { KeyStore, NameStateStore, parseName } from '../../ipfs/ipns/index.js'
import { createIpfsBackend, RepoNameUnresolvableError } from '../../ipfs/restic-backend/index.js'
import { handlePath } from '../../restic/backend/backend.js'
import { RepositoryExistsError } from '../../restic/errors.js'
import { dialPeers } from '../dial-peers.js'
import { ExportTargetError } from './errors.js'
import { handOffToKeepers } from './handoff.js'
import type { HandoffEvents } from './handoff.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { CairnNode } from '../../ipfs/node.js'
import type { IpfsBackend, IpfsBackendEvents, IpfsBackendIPNS } from '../../ipfs/restic-backend/index.js'
import type { Backend, FileType } from '../../restic/backend/backend.js'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'

export { ExportTargetError, KeeperHandoffError, NetworkUnreachableError, NoKeeperError } from './errors.js'
export { handOffToKeepers } from './handoff.js'
export type { HandoffEvents, HandoffResult } from './handoff.js'
export { REST_V2, startRestServer } from './rest-server.js'
export type { RestServer, RestServerOptions } from './rest-server.js'

/** `ipns://<name>` or `ipfs://<cid>` (also `/ipns/<name>`, `/ipfs/<cid>`). */
export type IpfsRepoLocation = { kind: 'ipns', name: string } | { kind: 'ipfs', root: CID }

export function parseIpfsRepoUrl (url: string): IpfsRepoLocation {
  const m = /^(?:(ipns|ipfs):\/\/|\/(ipns|ipfs)\/)([^/?#]+)\/?$/.exec(url.trim())
  const kind = m?.[1] ?? m?.[2]
  const value = m?.[3]
  if (kind === undefined || value === undefined) {
    throw new InvalidInputError(`"${url}" is not an IPFS repository location. Use ipns://<name> (the repository's IPNS name) or ipfs://<root-cid>.`)
  }
  if (kind === 'ipns') {
    parseName(value) // throws InvalidNameError with advice
    return { kind: 'ipns', name: value }
  }
  try {
    return { kind: 'ipfs', root: CID.parse(value) }
  } catch (err) {
    throw new InvalidInputError(`"${value}" in ${url} is not a CID. Use ipfs://<root-cid>, e.g. the root printed when the repository was last written.`, { cause: err })
  }
}

/** True for `ipns://…`, `ipfs://…`, `/ipns/…`, `/ipfs/…`: what `--repo` hands to `openIpfsRepoBackend`. */
export function isIpfsRepoUrl (url: string): boolean {
  return /^(?:ipns|ipfs):\/\/|^\/(?:ipns|ipfs)\//.test(url.trim())
}

/**
 * Opens the repository, runs `fn` with its backend, then closes it (flush, pin, republish when the
 * key is available, stop the node), also when `fn` throws.
 */
export async function withIpfsRepo<T> (url: string, options: OpenIpfsRepoOptions, fn: (repo: IpfsRepo) => Promise<T>): Promise<T> {
  const repo = await openIpfsRepoBackend(url, options)
  let result: T
  try {
    result = await fn(repo)
  } catch (err) {
    await repo.close().catch(() => {})
    throw err
  }
  await repo.close()
  return result
}

export interface OpenIpfsRepoOptions extends OperationOptions<IpfsBackendEvents | HandoffEvents> {
  /** Delegated Routing V1 base URL: IPNS resolve/publish and provider lookups. */
  routingUrl?: string | undefined
  /** Peers to connect to (the relay of the network the repository lives on). */
  relayAddrs?: string[] | undefined
  /** Cairn home: blocks and pins in `<home>/blocks` + `<home>/datastore`, IPNS keys in `<home>/ipns`. In memory when absent. */
  home?: string | undefined
  /** Passphrase of the IPNS key store; without it the repository is opened read-only as far as IPNS goes (no publish). */
  passphrase?: string | undefined
  /** The key in `<home>/ipns` that publishes the repository. Default: the stored key whose name is the repository's. */
  keyName?: string | undefined
  /** Pin new roots written through this backend. @default true */
  pin?: boolean | undefined
  /** How long to wait for the root block, ms. @default 30 000 */
  openTimeoutMs?: number | undefined
  /**
   * When the `ipns://` name has no record yet and its key is in the key store, start an empty
   * repository there (for `restic init`) instead of failing. @default false
   */
  createIfMissing?: boolean | undefined
  /** Overrides of the import profile (tests lower the HAMT threshold). */
  shardSplitThresholdBytes?: number | undefined
  /**
   * Before each publish, ask the `relayAddrs` peers to pin the new root (`handOffToKeepers`) and
   * publish only once one of them holds the whole DAG; with no address, refuse to publish.
   * @default false (the CLI sets it unless --no-keeper)
   */
  handOff?: boolean | undefined
}

export interface IpfsRepo {
  backend: IpfsBackend
  helia: CairnNode
  /** The IPNS name the backend publishes under, when it has the key. */
  publishName: string | undefined
  /** Flushes, republishes (when it has the key), stops the node and closes the stores. */
  close: (options?: OperationOptions<IpfsBackendEvents>) => Promise<CID | undefined>
}

async function stores (home: string | undefined): Promise<{ blockstore: Blockstore, datastore: Datastore, ipns: Datastore, close: () => Promise<void> }> {
  if (home === undefined) {
    const { MemoryBlockstore } = await import('blockstore-core')
    const { MemoryDatastore } = await import('datastore-core')
    return { blockstore: new MemoryBlockstore(), datastore: new MemoryDatastore(), ipns: new MemoryDatastore(), close: async () => {} }
  }
  const { FsBlockstore } = await import('blockstore-fs')
  const { FsDatastore } = await import('datastore-fs')
  await makeDirs(join(home, 'blocks'))
  await makeDirs(join(home, 'datastore'))
  await makeDirs(join(home, 'ipns'), 0o700)
  const blockstore = new FsBlockstore(join(home, 'blocks'))
  const datastore = new FsDatastore(join(home, 'datastore'))
  const ipns = new FsDatastore(join(home, 'ipns'))
  await blockstore.open()
  await datastore.open()
  await ipns.open()
  return {
    blockstore,
    datastore,
    ipns,
    close: async () => { await blockstore.close(); await datastore.close(); await ipns.close() }
  }
}

/**
 * Opens a repository on IPFS through a new Node Helia connected to `relayAddrs`, resolving
 * `ipns://` names through `routingUrl`. The caller must `close()` the result.
 */
export async function openIpfsRepoBackend (url: string, options: OpenIpfsRepoOptions = {}): Promise<IpfsRepo> {
  const location = parseIpfsRepoUrl(url)
  const relayAddrs = options.relayAddrs ?? []
  const routers = options.routingUrl === undefined || options.routingUrl === '' ? [] : [options.routingUrl]
  const s = await stores(options.home)
  const helia = createNode({
    blockstore: s.blockstore,
    datastore: s.datastore,
    webrtc: false,
    // Relays: reserve a slot so other peers can dial this node at <relay>/p2p-circuit/p2p/<id>.
    settings: { ...EMPTY_SETTINGS, bootstrap: relayAddrs, relays: relayAddrs.filter(a => !a.includes('/p2p-circuit')), delegatedRouters: routers }
  })
  const stopAll = async (): Promise<void> => { await helia.stop(); await s.close() }
  try {
    await helia.start()
    await dialPeers(helia.libp2p, relayAddrs)
    const keys = new KeyStore({ datastore: s.ipns, protection: options.passphrase === undefined ? undefined : { passphrase: options.passphrase } })
    let keyName = options.keyName
    if (keyName === undefined && options.passphrase !== undefined && location.kind === 'ipns') {
      const wanted = parseName(location.name).k51
      keyName = (await keys.list(options)).find(k => k.name.k51 === wanted)?.keyName
    }
    const opened: { root?: CID | undefined } = {}
    const ipns: IpfsBackendIPNS = { routers, state: new NameStateStore(s.ipns), keys: keyName === undefined ? undefined : keys, keyName }
    const init = {
      ipns,
      // The root the name pointed at when opened is republished as is (a refresh): no handoff.
      beforePublish: options.handOff === true
        ? async (root: CID, o: { signal?: AbortSignal | undefined }) => {
          if (opened.root?.equals(root) === true) return
          await handOffToKeepers(helia.libp2p, relayAddrs, root, { home: options.home, signal: o.signal, onProgress: options.onProgress })
        }
        : undefined,
      pin: options.pin,
      openTimeoutMs: options.openTimeoutMs,
      profile: options.shardSplitThresholdBytes === undefined ? undefined : { shardSplitThresholdBytes: options.shardSplitThresholdBytes },
      signal: options.signal,
      onProgress: options.onProgress
    }
    let backend: IpfsBackend
    try {
      backend = await createIpfsBackend({ helia }, { ...init, ...(location.kind === 'ipns' ? { name: location.name } : { root: location.root }) })
    } catch (err) {
      if (!(err instanceof RepoNameUnresolvableError) || options.createIfMissing !== true || location.kind !== 'ipns' || keyName === undefined) throw err
      // A name never published, whose key we hold: a new, empty repository.
      backend = await createIpfsBackend({ helia }, { ...init, location: `ipns://${location.name}` })
    }
    opened.root = backend.root
    const publishName = (await backend.ipnsName(options))?.k51
    if (publishName !== undefined && location.kind === 'ipns' && publishName !== parseName(location.name).k51) {
      throw new InvalidInputError(`The key "${keyName ?? ''}" publishes ${publishName}, not ${location.name}. Use the key that belongs to this repository's name.`)
    }
    return {
      backend,
      helia,
      publishName,
      close: async (o) => {
        try {
          return await backend.close(o)
        } finally {
          await stopAll()
        }
      }
    }
  } catch (err) {
    await stopAll().catch(() => {})
    throw err
  }
}

export type ExportEvents =
  | ProgressEvent<'restic-ipfs:export:file', { path: string, size: number }>

export interface ExportOptions extends OperationOptions<ExportEvents> {
  /** Bytes read per request from the backend (bounds memory). @default 4 MiB */
  pieceSize?: number | undefined
  /** Also export `locks/` (stale locks make restic refuse exclusive operations). @default false */
  locks?: boolean | undefined
}

export interface ExportResult { files: number, bytes: number }

const EXPORT_TYPES: ReadonlyArray<Exclude<FileType, 'config'>> = ['keys', 'snapshots', 'index', 'data', 'locks']

/**
 * Writes the repository as a plain restic folder (local layout, `data/xx/<id>`) into `dir`, which
 * must be absent or empty. One file at a time, in pieces; each file lands under a temporary name
 * and is renamed when complete, so an interrupted export never leaves a truncated file.
 */
export async function exportRepo (backend: Backend, dir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const piece = options.pieceSize ?? 4 * 1024 * 1024
  try {
    const existing = await readdir(dir)
    if (existing.includes('config')) throw new RepositoryExistsError(`${dir} already holds a restic repository. Export into a new or empty directory.`)
    if (existing.length > 0) throw new ExportTargetError(`${dir} is not empty. Export into a new or empty directory.`)
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err
  }
  for (const t of ['keys', 'locks', 'snapshots', 'index']) await makeDirs(join(dir, t))
  await makeDirs(join(dir, 'data'))
  for (let i = 0; i < 256; i++) await makeDir(join(dir, 'data', i.toString(16).padStart(2, '0')))
  const result: ExportResult = { files: 0, bytes: 0 }
  const copy = async (type: FileType, name: string, size: number): Promise<void> => {
    options.signal?.throwIfAborted()
    const path = handlePath({ type, name })
    const target = join(dir, path)
    const tmp = `${target}.tmp`
    const fh = await open(tmp, 'w', 0o600)
    try {
      for (let off = 0; off < size; off += piece) {
        const bytes = await backend.read({ type, name }, { offset: off, length: Math.min(piece, size - off) }, options)
        await fh.write(bytes)
      }
      await fh.sync()
    } catch (err) {
      await fh.close()
      await rm(tmp, { force: true })
      throw err
    }
    await fh.close()
    await rename(tmp, target)
    result.files++
    result.bytes += size
    emit(options, 'restic-ipfs:export:file', { path, size })
  }
  const config = await backend.stat({ type: 'config', name: '' }, options)
  for (const type of EXPORT_TYPES) {
    if (type === 'locks' && options.locks !== true) continue
    for (const f of await backend.list(type, options)) await copy(type, f.name, f.size)
  }
  // config last: until it exists the folder is not a repository.
  await copy('config', '', config.size)
  const check = await stat(join(dir, 'config'))
  if (check.size !== config.size) throw new ExportTargetError(`config in ${dir} has ${check.size} bytes, expected ${config.size}. Export again into an empty directory.`)
  return result
}
