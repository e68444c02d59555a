/** Fields the base constructor never takes from the options: the error's own and `cause`. */
const RESERVED = new Set(['cause', 'name', 'message', 'code', 'stack'])

/**
 * Base class for every error Cairn raises on purpose.
 *
 * The message says what happened and what to do about it. `name` always equals the class name, so
 * errors can be told apart by name after crossing a worker, service-worker or bundle boundary.
 *
 * A subclass that only carries extra fields needs no constructor: it names them as `Fields` and
 * declares them, and the base assigns whatever the options hold besides `cause`:
 *
 *   class FetchFailedError extends CairnError<{ status: number }> {
 *     declare readonly status: number
 *   }
 *   new FetchFailedError('…', { status: 502, cause: err })
 *
 * The options are required when a field is; a subclass with optional fields only may be made
 * without them.
 */
export class CairnError<Fields extends object = Record<never, never>> extends Error {
  static readonly code: string = 'ERR_CAIRN'
  readonly code: string

  constructor (message: string, ...[options]: CairnErrorOptionsArg<Fields>) {
    super(message, options)
    this.name = new.target.name
    this.code = (new.target as typeof CairnError).code
    if (options === undefined) return
    for (const [key, value] of Object.entries(options)) {
      if (!RESERVED.has(key)) (this as Record<string, unknown>)[key] = value
    }
  }
}

/** The options argument of a CairnError with `Fields`: optional unless a field is required. */
export type CairnErrorOptionsArg<Fields extends object> = object extends Fields
  ? [options?: ErrorOptions & Fields]
  : [options: ErrorOptions & Fields]

/** The operation was cancelled by the user (or by a timeout the user set). */
export class AbortError extends CairnError {
  static override readonly code = 'ERR_ABORTED'
  constructor (message = 'The operation was cancelled.', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Input given by the user is malformed; the message says which input and what is expected. */
export class InvalidInputError extends CairnError {
  static override readonly code = 'ERR_INVALID_INPUT'
}

/** A plain, serialisable view of an error, for postMessage and JSON output. */
export interface ErrorObject {
  name: string
  message: string
  code?: string
  cause?: ErrorObject
}

export function errorToObject (err: unknown): ErrorObject {
  if (err instanceof Error) {
    const out: ErrorObject = { name: err.name, message: err.message }
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') out.code = code
    if (err.cause !== undefined) out.cause = errorToObject(err.cause)
    return out
  }
  return { name: 'Error', message: String(err) }
}

/** True when `err` is an abort, whether ours, the DOM's or Node's. */
export function isAbortError (err: unknown): boolean {
  if (err instanceof AbortError) return true
  const name = (err as { name?: unknown } | null)?.name
  return name === 'AbortError' || name === 'TimeoutError'
}

/**
 * A name from a repository or a DAG (a snapshot's tree node, a UnixFS entry) cannot become a path
 * segment, link or archive entry: it is empty, "." or "..", or holds a separator or NUL. The entry
 * is skipped and everything else is kept. `path` names the entry (its parent's path, then the
 * name, quoted when it would read as something else).
 */
export class UnsafeNameError extends CairnError {
  static override readonly code = 'ERR_UNSAFE_NAME'
  readonly path: string
  /** `parent`: the folder's path ("/" for the top); `name` as shown (see `showName`). */
  constructor (parent: string, name: string, reason: string, options?: ErrorOptions) {
    super(`invalid child node name ${name} in ${parent}: ${reason}. It was skipped, so nothing lands outside the target; everything else is kept. The data was crafted or damaged: tell whoever made it.`, options)
    this.path = parent === '/' ? `/${name}` : `${parent}/${name}`
  }
}

/** A remote server sent a larger response than the request can use; the message names the server and the limit. */
export class ResponseTooLargeError extends CairnError {
  static override readonly code = 'ERR_RESPONSE_TOO_LARGE'
}

/**
 * A cause's first sentence, without its full stop, for quoting inside another error's message
 * (whose own sentence ends it and whose own advice follows): no "..", no advice said twice.
 */
export function briefCause (err: unknown): string {
  const raw = err instanceof Error ? (err.message !== '' ? err.message : err.name) : typeof err === 'string' ? err : String(err)
  const first = raw.trim().split(/(?<=[.!?])\s+(?=[A-Z])/)[0] ?? ''
  const text = first.replace(/[.\s]+$/, '')
  return text === '' || text === 'undefined' ? 'no reason given' : text
}
