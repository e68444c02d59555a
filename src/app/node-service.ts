/**
 * The node service: owns the Helia node for the page, (re)starts it from the active settings, and
 * keeps a state snapshot (peer ID, addresses, connections) for the views.
 *
 * Helia and libp2p are imported lazily, so the first paint does not wait for them.
 */
import { createStore } from './store.js'
import { DialFailedError, NodeNotReadyError } from './errors.js'
import { ownBuffer } from '../core/bytes.js'
import type { Store } from './store.js'
import type { Blockstore, InputPair } from 'interface-blockstore'
import type { NetworkSettings } from '../core/settings.js'
import type { AbortOptions } from '../core/options.js'
import type { CairnNode } from '../ipfs/node.js'
import type { ConnectionInfo } from '../ipfs/peers.js'

export type NodeStatus = 'starting' | 'online' | 'stopped' | 'error'

export interface NodeState {
  status: NodeStatus
  error?: string
  peerId?: string
  addresses: string[]
  connections: ConnectionInfo[]
  /** performance.now() when the node finished starting. */
  readyAt?: number
}

/**
 * The status to show: a running node with no connection is offline to the user (it reconnects by
 * itself).
 */
export function shownStatus (state: Pick<NodeState, 'status' | 'connections'>): NodeStatus | 'offline' {
  return state.status === 'online' && state.connections.length === 0 ? 'offline' : state.status
}

export interface NodeStores {
  blockstoreName: string
  datastoreName: string
}

export const DEFAULT_STORES: NodeStores = { blockstoreName: 'cairn/blocks/v1', datastoreName: 'cairn/data/v1' }

export interface NodeService {
  state: Store<NodeState>
  /** Start (or restart) with these settings. */
  start: (settings: NetworkSettings) => Promise<void>
  stop: () => Promise<void>
  /** The running node; throws NodeNotReadyError while there is none. */
  node: () => CairnNode
  dial: (addr: string, options?: AbortOptions) => Promise<ConnectionInfo>
  hangUp: (peerId: string) => Promise<void>
}

/** Start downloading the node's code (Helia, libp2p, IndexedDB stores) without waiting for it. */
export function preload (): Promise<unknown> {
  return Promise.all([import('../ipfs/node.js'), import('blockstore-idb'), import('datastore-idb'), import('../ipfs/peers.js'), import('../ipfs/keep-connected.js')]).catch(() => undefined)
}

export function createNodeService (stores: NodeStores = DEFAULT_STORES): NodeService {
  const state = createStore<NodeState>({ status: 'stopped', addresses: [], connections: [] })
  let current: { node: CairnNode, started: boolean, close: () => Promise<void> } | undefined
  let refreshTimer: ReturnType<typeof setTimeout> | undefined

  const refresh = (): void => {
    if (refreshTimer !== undefined) return
    // Coalesce bursts of libp2p events into one state update.
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined
      void snapshot()
    }, 50)
  }

  const snapshot = async (): Promise<void> => {
    const { listConnections } = await import('../ipfs/peers.js')
    // A refresh queued by the previous node can fire while the next one is starting, and libp2p is
    // only readable once the node has started.
    if (current?.started !== true) return
    const node = current.node
    state.update(s => ({
      ...s,
      peerId: node.libp2p.peerId.toString(),
      addresses: node.libp2p.getMultiaddrs().map(a => a.toString()),
      connections: listConnections(node)
    }))
  }

  const stop = async (): Promise<void> => {
    const c = current
    current = undefined
    if (c !== undefined) await c.close()
    state.set({ status: 'stopped', addresses: [], connections: [] })
  }

  return {
    state,
    async start (settings) {
      await stop()
      void preload()
      state.set({ status: 'starting', addresses: [], connections: [] })
      try {
        const [{ createNode, peersToDial }, { IDBBlockstore }, { IDBDatastore }, { keepConnected }] = await Promise.all([
          import('../ipfs/node.js'),
          import('blockstore-idb'),
          import('datastore-idb'),
          import('../ipfs/keep-connected.js')
        ])
        performance.mark('cairn:node:modules-loaded')
        const blockstore = storeExactBytes(new IDBBlockstore(stores.blockstoreName))
        const datastore = new IDBDatastore(stores.datastoreName)
        await Promise.all([blockstore.open(), datastore.open()])
        performance.mark('cairn:node:stores-open')
        const node = createNode({ blockstore, datastore, settings })
        const events = ['connection:open', 'connection:close', 'self:peer:update', 'transport:listening', 'transport:close'] as const
        const keeper: { current?: ReturnType<typeof keepConnected> } = {}
        const kick = (): void => { keeper.current?.kick() }
        const onVisible = (): void => { if (document.visibilityState === 'visible') kick() }
        const entry: NonNullable<typeof current> = {
          node,
          started: false,
          close: async () => {
            keeper.current?.stop()
            if (typeof window !== 'undefined') {
              window.removeEventListener('online', kick)
              document.removeEventListener('visibilitychange', onVisible)
            }
            // libp2p is only readable once the node has started.
            if (entry.started) for (const e of events) node.libp2p.removeEventListener(e, refresh)
            await node.stop()
            await Promise.all([blockstore.close(), datastore.close()])
          }
        }
        current = entry
        await node.start()
        entry.started = true
        performance.mark('cairn:node:started')
        for (const e of events) node.libp2p.addEventListener(e, refresh)
        // Bootstrap peers and relays are dialled again after any loss (sleep, network change,
        // a restarted relay), with backoff; coming back online or to the tab tries at once.
        keeper.current = keepConnected(node.libp2p, { addrs: peersToDial(settings) })
        if (typeof window !== 'undefined') {
          window.addEventListener('online', kick)
          document.addEventListener('visibilitychange', onVisible)
        }
        await snapshot()
        state.update(s => ({ ...s, status: 'online', readyAt: performance.now() }))
      } catch (err) {
        state.set({ status: 'error', error: (err as Error).message, addresses: [], connections: [] })
        throw err
      }
    },
    stop,
    node () {
      if (current === undefined || state.get().status !== 'online') throw new NodeNotReadyError()
      return current.node
    },
    async dial (addr, options = {}) {
      const { dial } = await import('../ipfs/peers.js')
      try {
        const info = await dial(this.node(), addr, options)
        refresh()
        return info
      } catch (err) {
        if (err instanceof NodeNotReadyError) throw err
        throw new DialFailedError(`Could not connect to ${addr}: ${describeCause(err)}. Check that the address is complete (it must end in /p2p/<peer id>) and that the peer is online.`, { cause: err })
      }
    },
    async hangUp (peerId) {
      const { hangUp } = await import('../ipfs/peers.js')
      await hangUp(this.node(), peerId)
      refresh()
    }
  }
}

/**
 * IndexedDB stores a typed array by structured clone, and that clones the view's whole
 * ArrayBuffer, not just the viewed bytes. Importers cut blocks as views of bigger buffers (a 1 MiB
 * leaf of a 16 MiB restic pack), so each such block would cost the whole buffer on disk: a
 * measured 15× more storage than the blocks hold. Blocks that are views get copied first.
 */
function exactBytes<T> (bytes: T): T {
  if (!(bytes instanceof Uint8Array)) return bytes // streamed blocks are joined into a fresh buffer anyway
  return ownBuffer(bytes) as T
}

function storeExactBytes<B extends Blockstore> (blockstore: B): B {
  const put = blockstore.put.bind(blockstore)
  const putMany = blockstore.putMany.bind(blockstore)
  blockstore.put = (async (cid, bytes, options) => await put(cid, exactBytes(bytes), options)) as B['put']
  blockstore.putMany = (async function * (source, options) {
    async function * exact (): AsyncGenerator<InputPair> {
      for await (const pair of source) yield { cid: pair.cid, bytes: exactBytes(pair.bytes) }
    }
    yield * putMany(exact(), options)
  }) as B['putMany']
  return blockstore
}

/**
 * One line for a failure's cause: an Error's message, every distinct reason inside an
 * AggregateError (a dial tries each address), or the text of something thrown that is not an
 * Error. Never "undefined"; no trailing full stop (the caller's sentence adds one).
 */
export function describeCause (err: unknown, depth = 0): string {
  if (err instanceof AggregateError || (Array.isArray((err as { errors?: unknown } | null)?.errors) && depth < 2)) {
    const inner = [...new Set(((err as { errors: unknown[] }).errors).map(e => describeCause(e, depth + 1)))].filter(m => m !== 'no reason given')
    const own = (err as Error).message?.trim() ?? ''
    if (inner.length === 0) return own !== '' ? own.replace(/\.+$/, '') : 'every address failed (no reason given)'
    const shown = inner.slice(0, 3).join('; ') + (inner.length > 3 ? `; and ${inner.length - 3} more` : '')
    return inner.length === 1 ? shown : `every address failed (${shown})`
  }
  let text: string
  if (err instanceof Error) text = err.message !== '' ? err.message : err.name
  else if (typeof err === 'string') text = err
  else if (typeof (err as { message?: unknown } | null)?.message === 'string') text = (err as { message: string }).message
  else if (err === undefined || err === null) text = ''
  else { try { text = JSON.stringify(err) } catch { text = String(err) } }
  text = text.trim().replace(/\.+$/, '')
  return text === '' || text === 'undefined' ? 'no reason given' : text
}
