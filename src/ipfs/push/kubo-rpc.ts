/**
 * A Kubo node as a keeper, through its RPC API (`<endpoint>/api/v0/…`), with `fetch` and
 * `FormData` only, so it runs in the page:
 *
 * - `pushDag`: the DAG goes up as self-contained CAR parts of about 8 MiB (`dag/import` with
 *   `pin-roots=false`, one part in flight), then `pin/add` pins the root recursively (Kubo finds
 *   every block already there), then `pin/ls` says how it is held.
 * - `status`: `pin/ls?arg=<cid>&type=recursive`; Kubo's "is not pinned" error means `absent`.
 * - `pushRecord`: `routing/put?arg=/ipns/<name>` with the signed record as a multipart file.
 *
 * The token is sent as HTTP Basic when it is `user:password`, else as a Bearer token (Kubo's
 * `API.Authorizations`). Kubo must allow the page's origin (`API.HTTPHeaders`) to be used from it.
 */
import { AbortError } from '../../core/errors.js'
import { emit } from '../../core/options.js'
import { MAX_JSON_BYTES, readJson, readText } from '../../core/http-body.js'
import { carParts, DEFAULT_CAR_PART_BYTES } from './car-parts.js'
import { KeeperError } from './errors.js'
import { KeeperHttp } from './keeper-http.js'
import type { Keeper, KeptStatus, PushDagOptions } from './keeper.js'
import type { AbortOptions } from '../../core/options.js'
import type { CID } from 'multiformats/cid'

export interface KuboRpcKeeperInit {
  /** The name in Settings. */
  name: string
  /** The RPC base URL, e.g. `http://127.0.0.1:5001` (`/api/v0` is appended). */
  endpoint: string
  /** `user:password` (HTTP Basic) or a bearer token. */
  token?: string | undefined
  fetch?: typeof globalThis.fetch | undefined
  /** Largest CAR part. Default 8 MiB. */
  maxPartBytes?: number | undefined
}

function kuboMessage (body: string): string | undefined {
  try {
    const j = JSON.parse(body) as { Message?: unknown }
    return typeof j.Message === 'string' ? j.Message : undefined
  } catch {
    return undefined
  }
}

function hostOf (endpoint: string): string {
  try { return new URL(endpoint).host } catch { return endpoint }
}

export class KuboRpcKeeper implements Keeper {
  readonly id: string
  readonly kind = 'kubo' as const
  readonly label: string
  readonly holdsRecords = true
  readonly name: string
  readonly #api: string
  readonly #http: KeeperHttp
  readonly #maxPartBytes: number

  constructor (init: KuboRpcKeeperInit) {
    this.name = init.name
    this.id = `kubo:${init.name}`
    this.label = `Kubo at ${hostOf(init.endpoint)}`
    const base = init.endpoint.replace(/\/+$/, '')
    this.#api = base.endsWith('/api/v0') ? base : `${base}/api/v0`
    this.#maxPartBytes = init.maxPartBytes ?? DEFAULT_CAR_PART_BYTES
    this.#http = new KeeperHttp({ what: `Kubo "${init.name}"`, endpoint: init.endpoint, token: init.token, fetch: init.fetch, errorMessage: kuboMessage })
  }

  async #rpc (command: string, params: Array<[string, string]>, options: { body?: FormData, signal?: AbortSignal | undefined, doing: string }): Promise<Response> {
    const query = new URLSearchParams(params).toString()
    const res = await this.#http.send('POST', `${this.#api}/${command}${query !== '' ? `?${query}` : ''}`, { body: options.body, signal: options.signal })
    return await this.#http.ok(res, options.doing, options.signal)
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
      const form = new FormData()
      form.append('file', new Blob([part.car as Uint8Array<ArrayBuffer>], { type: 'application/vnd.ipld.car' }), `part-${part.index}.car`)
      const res = await this.#rpc('dag/import', [['pin-roots', 'false']], { body: form, signal, doing: `import part ${part.index + 1} of the DAG ${root.toString()}` })
      await readText(res, { maxBytes: MAX_JSON_BYTES, signal })
      blocks += part.blocks
      bytes += part.car.byteLength
      emit(options, 'push:keeper:upload', { blocks, bytes })
    }
    const params: Array<[string, string]> = [['arg', root.toString()], ['recursive', 'true']]
    if (options.name !== undefined) params.push(['name', options.name])
    const res = await this.#rpc('pin/add', params, { signal, doing: `pin ${root.toString()}` })
    const added = await readJson(res, { maxBytes: MAX_JSON_BYTES, signal }).catch(() => undefined) as { Pins?: unknown } | undefined
    if (!Array.isArray(added?.Pins)) throw new KeeperError(`Kubo "${this.name}" answered pin/add with something that is not Kubo's { "Pins": […] }. Check that the endpoint in Settings is a Kubo RPC API.`)
    const after = await this.status(root, { signal })
    emit(options, 'push:keeper:status', after)
    return after
  }

  async status (root: CID, options: AbortOptions = {}): Promise<KeptStatus> {
    const { signal } = options
    const url = `${this.#api}/pin/ls?${new URLSearchParams([['arg', root.toString()], ['type', 'recursive']]).toString()}`
    const res = await this.#http.send('POST', url, { signal })
    if (!res.ok) {
      const said = await this.#http.message(res, signal)
      if (res.status === 500 && /not pinned/i.test(said)) return { state: 'absent', detail: said }
      throw new KeeperError(`Kubo "${this.name}" could not list the pin of ${root.toString()} (HTTP ${res.status}${said !== '' ? `: ${said}` : ''}).`, { status: res.status })
    }
    const body = await readJson(res, { maxBytes: MAX_JSON_BYTES, signal }).catch(() => undefined) as { Keys?: Record<string, { Type?: unknown }> } | undefined
    if (body?.Keys === undefined || typeof body.Keys !== 'object') {
      throw new KeeperError(`Kubo "${this.name}" answered pin/ls with something that is not Kubo's { "Keys": … }. Check that the endpoint in Settings is a Kubo RPC API.`)
    }
    for (const [cid, entry] of Object.entries(body.Keys)) {
      if (typeof entry?.Type === 'string' && entry.Type.startsWith('recursive')) return { state: 'pinned', detail: `${cid} pinned recursively` }
    }
    return { state: 'absent', detail: 'not pinned recursively' }
  }

  async pushRecord (name: string, record: Uint8Array, options: AbortOptions = {}): Promise<void> {
    const { signal } = options
    const form = new FormData()
    form.append('file', new Blob([record as Uint8Array<ArrayBuffer>], { type: 'application/vnd.ipfs.ipns-record' }), 'record')
    const res = await this.#rpc('routing/put', [['arg', `/ipns/${name}`], ['allow-offline', 'true']], { body: form, signal, doing: `keep the IPNS record of ${name}` })
    const events = this.#http.ndjson(await readText(res, { maxBytes: MAX_JSON_BYTES, signal }))
    const failed = events.find(e => (e as { Type?: unknown }).Type === 3) as { Extra?: unknown } | undefined
    if (failed !== undefined) throw new KeeperError(`Kubo "${this.name}" could not put the IPNS record of ${name}: ${String(failed.Extra)}.`)
    if (signal?.aborted === true) throw new AbortError(`Pushing the IPNS record of ${name} to Kubo "${this.name}" was cancelled.`)
  }
}
