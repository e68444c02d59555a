/**
 * An IPFS Cluster as a keeper, through its REST API (`<endpoint>/add`, `<endpoint>/pins/<cid>`),
 * with `fetch` and `FormData` only, so it runs in the page.
 *
 * `pushDag` sends the DAG as self-contained CAR parts of about 8 MiB with `POST /add?format=car`
 * (the cluster's CAR adder: it pins the root named by the CAR header). Every part but the last is
 * sent with `no-pin=true`, and every part with `local=true`: the blocks all land on the IPFS peer
 * of the cluster peer that takes the requests, and the last part pins the root, which the
 * cluster then allocates; allocated peers fetch the blocks from that peer. So a DAG of any size
 * goes up in bounded requests. Then `GET /pins/<cid>` tells the status, summed over `peer_map`
 * (a root some peer already pins is not uploaded again).
 *
 * A cluster holds no IPNS records: `pushRecord` throws `KeeperUnsupportedError`.
 */
import { emit } from '../../core/options.js'
import { MAX_JSON_BYTES, readJson, readText } from '../../core/http-body.js'
import { carParts, DEFAULT_CAR_PART_BYTES } from './car-parts.js'
import { KeeperError, KeeperUnsupportedError } from './errors.js'
import { KeeperHttp } from './keeper-http.js'
import type { Keeper, KeptState, KeptStatus, PushDagOptions } from './keeper.js'
import type { AbortOptions } from '../../core/options.js'
import type { CID } from 'multiformats/cid'

export interface ClusterKeeperInit {
  /** The name in Settings. */
  name: string
  /** The REST API base URL, e.g. `http://127.0.0.1:9094`. */
  endpoint: string
  /** `user:password` (HTTP Basic) or a bearer token (JWT). */
  token?: string | undefined
  fetch?: typeof globalThis.fetch | undefined
  /** Largest CAR part. Default 8 MiB. */
  maxPartBytes?: number | undefined
}

function clusterMessage (body: string): string | undefined {
  try {
    const j = JSON.parse(body) as { message?: unknown }
    return typeof j.message === 'string' ? j.message : undefined
  } catch {
    return undefined
  }
}

function hostOf (endpoint: string): string {
  try { return new URL(endpoint).host } catch { return endpoint }
}

/** The cluster's tracker statuses, from the most to the least telling. */
const ORDER: Array<[KeptState, (s: string) => boolean]> = [
  ['pinned', s => s === 'pinned'],
  ['pinning', s => s === 'pinning'],
  ['queued', s => s === 'pin_queued' || s === 'queued'],
  ['failed', s => s === 'pin_error' || s === 'cluster_error' || s === 'error' || s === 'unexpectedly_unpinned']
]

/** Sums a GlobalPinInfo's `peer_map`: any peer pinned → pinned, else pinning, queued, failed, absent. */
export function clusterState (peerMap: Record<string, { status?: unknown, error?: unknown }>): KeptStatus {
  const entries = Object.values(peerMap)
  const statuses = entries.map(e => typeof e.status === 'string' ? e.status : 'undefined')
  for (const [state, match] of ORDER) {
    const n = statuses.filter(match).length
    if (n === 0) continue
    const errors = entries.map(e => typeof e.error === 'string' ? e.error : '').filter(e => e !== '')
    const detail = `${state} on ${n} of ${entries.length} cluster peer${entries.length === 1 ? '' : 's'}${state === 'failed' && errors[0] !== undefined ? `: ${errors[0]}` : ''}`
    return { state, detail }
  }
  return { state: 'absent', detail: entries.length === 0 ? 'no cluster peer answered' : `not pinned on any of ${entries.length} cluster peer${entries.length === 1 ? '' : 's'}` }
}

export class ClusterKeeper implements Keeper {
  readonly id: string
  readonly kind = 'cluster' as const
  readonly label: string
  readonly holdsRecords = false
  readonly name: string
  readonly #base: string
  readonly #http: KeeperHttp
  readonly #maxPartBytes: number

  constructor (init: ClusterKeeperInit) {
    this.name = init.name
    this.id = `cluster:${init.name}`
    this.label = `IPFS Cluster at ${hostOf(init.endpoint)}`
    this.#base = init.endpoint.replace(/\/+$/, '')
    this.#maxPartBytes = init.maxPartBytes ?? DEFAULT_CAR_PART_BYTES
    this.#http = new KeeperHttp({ what: `IPFS Cluster "${init.name}"`, endpoint: init.endpoint, token: init.token, fetch: init.fetch, errorMessage: clusterMessage })
  }

  async pushDag (root: CID, options: PushDagOptions): Promise<KeptStatus> {
    const { signal } = options
    const before = await this.status(root, { signal })
    if (before.state === 'pinned') {
      emit(options, 'push:keeper:status', before)
      return before
    }
    let blocks = 0
    let bytes = 0
    for await (const part of carParts(options.blocks, root, { maxBytes: this.#maxPartBytes, signal })) {
      const params = new URLSearchParams([['format', 'car'], ['local', 'true'], ['stream-channels', 'true']])
      if (!part.last) params.set('no-pin', 'true')
      if (options.name !== undefined) params.set('name', options.name)
      const form = new FormData()
      form.append('file', new Blob([part.car as Uint8Array<ArrayBuffer>], { type: 'application/vnd.ipld.car' }), `part-${part.index}.car`)
      const res = await this.#http.ok(
        await this.#http.send('POST', `${this.#base}/add?${params.toString()}`, { body: form, signal }),
        `add part ${part.index + 1} of the DAG ${root.toString()}`, signal)
      const added = this.#http.ndjson(await readText(res, { maxBytes: MAX_JSON_BYTES, signal }))
      const cids = added.map(a => (a as { cid?: unknown }).cid).map(c => typeof c === 'object' && c !== null ? (c as { '/'?: unknown })['/'] : c)
      if (!cids.includes(root.toString())) {
        throw new KeeperError(`IPFS Cluster "${this.name}" added part ${part.index + 1} under ${String(cids[0] ?? 'no CID')}, not ${root.toString()}. Check that the endpoint in Settings is an IPFS Cluster REST API that takes format=car.`)
      }
      blocks += part.blocks
      bytes += part.car.byteLength
      emit(options, 'push:keeper:upload', { blocks, bytes })
    }
    const status = await this.status(root, { signal })
    emit(options, 'push:keeper:status', status)
    return status
  }

  async status (root: CID, options: AbortOptions = {}): Promise<KeptStatus> {
    const { signal } = options
    const res = await this.#http.ok(await this.#http.send('GET', `${this.#base}/pins/${root.toString()}`, { signal }), `tell the status of ${root.toString()}`, signal)
    const body = await readJson(res, { maxBytes: MAX_JSON_BYTES, signal }).catch(() => undefined) as { peer_map?: unknown } | undefined
    if (body?.peer_map === undefined || body.peer_map === null || typeof body.peer_map !== 'object') {
      throw new KeeperError(`IPFS Cluster "${this.name}" answered GET /pins/${root.toString()} with something that is not a GlobalPinInfo (no "peer_map"). Check that the endpoint in Settings is an IPFS Cluster REST API.`)
    }
    return clusterState(body.peer_map as Record<string, { status?: unknown, error?: unknown }>)
  }

  async pushRecord (name: string, _record?: Uint8Array, _options?: AbortOptions): Promise<void> {
    throw new KeeperUnsupportedError(`IPFS Cluster "${this.name}" cannot keep the IPNS record of ${name}: a cluster does not hold IPNS records. Keep names on a Kubo node or a peer instead.`)
  }
}
