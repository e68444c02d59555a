/**
 * Node 20 lacks `Promise.withResolvers`, which libp2p, it-queue and mortice call. Node 22+ has it,
 * and there this module does nothing. Import it before any Helia or libp2p module.
 */
interface Resolvers<T> { promise: Promise<T>, resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void }

const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T> (): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve']
    let reject!: Resolvers<T>['reject']
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

export {}

/**
 * @helia/delegated-routing-v1-http-api-client 9 cancels an ndjson response body on abort with
 * `res.body.cancel()` while its reader holds the stream. In Node (20 and 22) that returns a
 * rejected promise ("ReadableStream is locked") that nobody handles, and Node exits. The body is
 * being read and is released anyway, so that one rejection is harmless: drop it, and let every
 * other unhandled rejection crash the process as before.
 */
const GUARD = Symbol.for('cairn:locked-stream-cancel-guard')
const g = globalThis as { [GUARD]?: true }
if (typeof process !== 'undefined' && typeof process.on === 'function' && g[GUARD] !== true) {
  g[GUARD] = true
  process.on('unhandledRejection', (reason) => {
    const e = reason as { code?: string, message?: string, stack?: string } | null
    if (e?.code === 'ERR_INVALID_STATE' && e.message?.includes('ReadableStream is locked') === true && e.stack?.includes('cancel') === true) return
    throw reason
  })
}
