/**
 * The HTTP side shared by the Kubo RPC and IPFS Cluster keepers: the Authorization header (HTTP
 * Basic for `user:password`, else Bearer), one `fetch` with errors turned into the keeper errors
 * (unreachable, refused credentials, the server's own message), and bounded body reads.
 */
import { AbortError, isAbortError } from '../../core/errors.js'
import { MAX_ERROR_BYTES, readText } from '../../core/http-body.js'
import { KeeperAuthError, KeeperError, KeeperUnreachableError } from './errors.js'

/** `Basic base64(user:password)` when the token holds a colon, else `Bearer <token>`. */
export function authorization (token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined
  if (token.includes(':')) {
    const bytes = new TextEncoder().encode(token)
    let bin = ''
    for (const b of bytes) bin += String.fromCharCode(b)
    return `Basic ${btoa(bin)}`
  }
  return `Bearer ${token}`
}

export interface KeeperHttpInit {
  /** For messages: `Kubo "home"`, `cluster "office"`. */
  what: string
  /** What to check in Settings when the credentials are refused. */
  endpoint: string
  token?: string | undefined
  fetch?: typeof globalThis.fetch | undefined
  /** Pulls a message out of an error body (`{"Message"}` for Kubo, `{"message"}` for the cluster). */
  errorMessage: (body: string) => string | undefined
}

export class KeeperHttp {
  readonly #init: KeeperHttpInit
  readonly #fetch: typeof globalThis.fetch
  readonly #auth: string | undefined

  constructor (init: KeeperHttpInit) {
    this.#init = init
    this.#fetch = init.fetch ?? globalThis.fetch.bind(globalThis)
    this.#auth = authorization(init.token)
  }

  /** Sends the request; resolves with any response (the caller decides about statuses), after auth errors are thrown. */
  async send (method: 'GET' | 'POST', url: string, options: { body?: BodyInit | undefined, signal?: AbortSignal | undefined } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.#auth !== undefined) headers.authorization = this.#auth
    let res: Response
    try {
      res = await this.#fetch(url, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}), signal: options.signal ?? null })
    } catch (err) {
      if (options.signal?.aborted === true || isAbortError(err)) throw new AbortError(`The request to ${this.#init.what} was cancelled.`, { cause: err })
      throw new KeeperUnreachableError(`Could not reach ${this.#init.what} at ${this.#init.endpoint} (${(err as Error).message}). Check the endpoint in Settings and that the server is running; from a page, it must also allow this origin (CORS).`, { cause: err })
    }
    if (res.status === 401 || res.status === 403) {
      const said = await this.message(res, options.signal)
      throw new KeeperAuthError(`${this.#init.what} refused the credentials (HTTP ${res.status}${said !== '' ? `: ${said}` : ''}). Check the token in Settings${this.#auth === undefined ? ' (none is set)' : ''}.`)
    }
    return res
  }

  /** The server's error text, short. */
  async message (res: Response, signal?: AbortSignal): Promise<string> {
    const text = await readText(res, { maxBytes: MAX_ERROR_BYTES, signal }).catch(() => '')
    const said = this.#init.errorMessage(text) ?? text
    return said.trim().slice(0, 500)
  }

  /** Throws `KeeperError` with the server's message unless `res` is 2xx. */
  async ok (res: Response, doing: string, signal?: AbortSignal): Promise<Response> {
    if (res.ok) return res
    const said = await this.message(res, signal)
    throw new KeeperError(`${this.#init.what} could not ${doing} (HTTP ${res.status}${said !== '' ? `: ${said}` : ''}).`, { status: res.status })
  }

  /** Parses newline-delimited JSON; a line that is not JSON throws `KeeperError`. */
  ndjson (text: string): unknown[] {
    const out: unknown[] = []
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      try {
        out.push(JSON.parse(line))
      } catch {
        throw new KeeperError(`${this.#init.what} answered something that is not JSON ("${line.slice(0, 80)}"). Check that the endpoint in Settings is the right kind of server.`)
      }
    }
    return out
  }
}
