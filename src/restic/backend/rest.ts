/**
 * Client for restic's REST protocol v2 (rest-server, `rclone serve restic`), using only `fetch`.
 * The URL may carry `user:pass@` credentials; they are sent as HTTP Basic and never shown.
 */
import type { AbortOptions } from '../../core/options.js'
import { MAX_ERROR_BYTES, readBody, readJson, readText } from '../../core/http-body.js'
import { BackendError, InvalidFileNameError, NotFoundError, RepositoryExistsError } from '../errors.js'
import { asBufferSource } from '../util/bytes.js'
import type { Backend, FileInfo, FileType, Handle } from './backend.js'
import { isFileName } from './backend.js'

const V2 = 'application/vnd.x.restic.rest.v2'
/** A file list: about 100 bytes per file; 64 MiB is over half a million packs. */
const MAX_LIST_BYTES = 64 << 20
/** restic's packs are at most 128 MiB (--pack-size); other files are far smaller. */
const MAX_FILE_BYTES = 160 << 20

export interface RestBackendInit {
  /** Repository URL, e.g. `http://127.0.0.1:8000/repo/`. */
  url: string
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch
}

export class RestBackend implements Backend {
  readonly location: string
  readonly #base: URL
  readonly #auth: string | undefined
  readonly #fetch: typeof globalThis.fetch

  constructor (init: RestBackendInit) {
    const url = new URL(init.url.endsWith('/') ? init.url : init.url + '/')
    this.#auth = url.username !== '' ? 'Basic ' + btoa(decodeURIComponent(url.username) + ':' + decodeURIComponent(url.password)) : undefined
    url.username = ''
    url.password = ''
    this.#base = url
    this.location = 'rest:' + url.href
    this.#fetch = init.fetch ?? globalThis.fetch.bind(globalThis)
  }

  #url (h: Handle | { type: FileType, name?: string }): URL {
    if (h.type === 'config') return new URL('config', this.#base)
    // A name becomes part of the URL: "../config" would resolve to another file.
    if (h.name !== undefined && h.name !== '' && !isFileName(h.name)) throw new InvalidFileNameError({ type: h.type, name: h.name })
    return new URL(`${h.type}/${h.name ?? ''}`, this.#base)
  }

  async #req (method: string, url: URL, options: AbortOptions | undefined, extra: { headers?: Record<string, string>, body?: Uint8Array } = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: V2, ...extra.headers }
    if (this.#auth !== undefined) headers.Authorization = this.#auth
    let res: Response
    try {
      res = await this.#fetch(url, { method, headers, body: extra.body === undefined ? null : asBufferSource(extra.body), signal: options?.signal ?? null })
    } catch (err) {
      options?.signal?.throwIfAborted()
      throw new BackendError(`${method} ${this.#describe(url)} failed: ${(err as Error).message}. Check that the REST server is running and reachable.`, { cause: err })
    }
    return res
  }

  #describe (url: URL): string { return url.href }

  async #fail (res: Response, method: string, url: URL): Promise<never> {
    if (res.status === 404) await res.body?.cancel().catch(() => {})
    const text = await readText(res, { maxBytes: MAX_ERROR_BYTES }).catch(() => '')
    if (res.status === 404) throw new NotFoundError(`${this.#describe(url)} not found`)
    throw new BackendError(`${method} ${this.#describe(url)}: HTTP ${res.status} ${res.statusText} ${text.slice(0, 200)}`.trim() + '. Check the server log and your credentials.')
  }

  async create (options?: AbortOptions): Promise<void> {
    const head = await this.#req('HEAD', this.#url({ type: 'config' }), options)
    if (head.ok) throw new RepositoryExistsError(`a repository already exists at ${this.location}`)
    const url = new URL('?create=true', this.#base)
    const res = await this.#req('POST', url, options)
    if (!res.ok) await this.#fail(res, 'POST', url)
    await res.body?.cancel()
  }

  async list (type: Exclude<FileType, 'config'>, options?: AbortOptions): Promise<FileInfo[]> {
    const url = this.#url({ type, name: '' })
    const res = await this.#req('GET', url, options)
    if (res.status === 404) return []
    if (!res.ok) await this.#fail(res, 'GET', url)
    let body: unknown
    try {
      body = await readJson(res, { maxBytes: MAX_LIST_BYTES, signal: options?.signal, what: `The list of ${type} files from ${url.href}` })
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err
      throw new BackendError(`the list of ${type} files from ${url.href} is not JSON. Check that the URL is a restic REST server.`, { cause: err })
    }
    if (!Array.isArray(body)) throw new BackendError(`unexpected list response from ${url.href}`)
    // Only restic file names: the server's listing is not trusted to name paths.
    if (res.headers.get('Content-Type')?.startsWith(V2) === true) return (body as FileInfo[]).filter(f => typeof f?.name === 'string' && isFileName(f.name))
    // v1 server: names only; ask each size.
    const out: FileInfo[] = []
    for (const name of (body as unknown[]).filter((n): n is string => typeof n === 'string' && isFileName(n))) out.push(await this.stat({ type, name }, options))
    return out
  }

  async stat (h: Handle, options?: AbortOptions): Promise<FileInfo> {
    const url = this.#url(h)
    const res = await this.#req('HEAD', url, options)
    if (!res.ok) await this.#fail(res, 'HEAD', url)
    return { name: h.name, size: Number(res.headers.get('Content-Length') ?? '0') }
  }

  async read (h: Handle, range?: { offset: number, length?: number | undefined }, options?: AbortOptions): Promise<Uint8Array> {
    const url = this.#url(h)
    const headers: Record<string, string> = {}
    if (range !== undefined && (range.offset > 0 || range.length !== undefined)) {
      if (range.length === 0) return new Uint8Array(0)
      headers.Range = `bytes=${range.offset}-${range.length === undefined ? '' : range.offset + range.length - 1}`
    }
    const res = await this.#req('GET', url, options, { headers })
    if (!res.ok) await this.#fail(res, 'GET', url)
    // A ranged read needs at most its length (a server that ignores Range sends the offset too).
    const max = range?.length !== undefined ? range.offset + range.length : MAX_FILE_BYTES
    let data = await readBody(res, { maxBytes: max, signal: options?.signal, what: `${url.href}` })
    // A server that ignores Range answers 200 with the whole file.
    if (res.status === 200 && headers.Range !== undefined) data = data.slice(range?.offset ?? 0, range?.length === undefined ? undefined : (range.offset + range.length))
    return data
  }

  async write (h: Handle, data: Uint8Array, options?: AbortOptions): Promise<void> {
    const url = this.#url(h)
    const res = await this.#req('POST', url, options, { headers: { 'Content-Type': 'application/octet-stream' }, body: data })
    if (!res.ok) await this.#fail(res, 'POST', url)
    await res.body?.cancel()
  }

  async remove (h: Handle, options?: AbortOptions): Promise<void> {
    const url = this.#url(h)
    const res = await this.#req('DELETE', url, options)
    if (!res.ok && res.status !== 404) await this.#fail(res, 'DELETE', url)
    await res.body?.cancel()
  }
}
