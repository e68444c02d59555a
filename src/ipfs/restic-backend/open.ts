/** Opening an IPFS-hosted repository: resolve its name, fetch its root block, hand back the backend. */
import { CID } from 'multiformats/cid'
import { emit, withTimeout } from '../../core/options.js'
import { briefCause } from '../../core/errors.js'
import { readBlock } from '../car/walk.js'
import { parseIPNSPath } from '../ipns/names.js'
import { resolve } from '../ipns/resolve.js'
import { createBlockSession } from '../fetch/session.js'
import { IpfsBackend } from './backend.js'
import { RepoNameUnresolvableError, RepoNameValueError, RepoRootUnreachableError } from './errors.js'
import { toCID } from './paths.js'
import type { IpfsBackendComponents, IpfsBackendEvents, IpfsBackendInit, IpfsBackendIPNS } from './init.js'
import type { OperationOptions } from '../../core/options.js'

/** Resolves `name` to the root CID it points at. */
export async function resolveRepoRoot (components: IpfsBackendComponents, name: string, ipns: IpfsBackendIPNS | undefined, options: OperationOptions<IpfsBackendEvents> = {}): Promise<CID> {
  if (ipns === undefined || (ipns.routers.length === 0 && ipns.libp2p === undefined && ipns.useHeliaRouting !== true)) {
    throw new RepoNameUnresolvableError(`Cannot resolve ${name}: no delegated router is configured and no peer connection was given. Give a routing URL (Delegated Routing V1) to resolve IPNS names.`)
  }
  let value: string
  try {
    const routing = components.helia.routing
    const res = await resolve({ state: ipns.state, routers: ipns.routers, libp2p: ipns.libp2p, fetch: ipns.fetch, helia: ipns.useHeliaRouting === true && routing !== undefined ? { routing } : undefined }, name, { signal: options.signal })
    value = res.value
  } catch (err) {
    if (options.signal?.aborted === true) throw err
    throw new RepoNameUnresolvableError(`The repository name ${name} could not be resolved: ${briefCause(err)}. Check the name and the routing URL, or ask the repository's owner to republish (closing the repository in Cairn does).`, { cause: err })
  }
  const m = /^\/ipfs\/([^/]+)\/?$/.exec(value)
  let root: CID | undefined
  try { root = m?.[1] === undefined ? undefined : CID.parse(m[1]) } catch { root = undefined }
  if (root === undefined) {
    throw new RepoNameValueError(`${name} points at "${value}", not at a repository root "/ipfs/<cid>". Publish the repository's root CID under this name.`)
  }
  emit(options, 'restic-ipfs:open:resolved', { name, root })
  return root
}

/**
 * Opens (or prepares to create) a repository on IPFS. With `root` or `name` the root block is
 * fetched first (locally or from connected peers), so an unreachable repository fails here.
 */
export async function createIpfsBackend (components: IpfsBackendComponents, init: IpfsBackendInit = {}): Promise<IpfsBackend> {
  // With gateways, every read of this repository goes through one block session (the root block
  // below is the first: its race picks the source the rest of the repository comes from).
  if (components.blocks === undefined && init.gateways !== undefined && init.gateways.length > 0) {
    components = { ...components, blocks: createBlockSession(components.helia, { gateways: init.gateways, fetch: init.fetch }) }
  }
  const blocks = components.blocks ?? components.helia.blockstore
  let root: CID | undefined
  if (init.root !== undefined) {
    root = toCID(init.root)
  } else if (init.name !== undefined) {
    parseIPNSPath(init.name) // throws InvalidNameError for garbage
    root = await resolveRepoRoot(components, init.name, init.ipns, init)
  }
  if (root !== undefined) {
    const { signal, clear } = withTimeout(init.signal, init.openTimeoutMs ?? 30_000)
    try {
      await readBlock(blocks, root, { signal })
    } catch (err) {
      if (init.signal?.aborted === true) throw err
      throw new RepoRootUnreachableError(`The repository root ${root.toString()} could not be fetched${signal.aborted ? ` within ${init.openTimeoutMs ?? 30_000} ms` : ''}: ${briefCause(err)}. Connect to a peer that holds the repository (a relay or the device that wrote it) and try again.`, { cause: err })
    } finally {
      clear()
    }
  }
  // An opened root is not pinned here (that would fetch the whole repository); this node pins
  // the repository with the first flush after a write.
  return new IpfsBackend(components, init, root)
}
