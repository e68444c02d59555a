/**
 * @helia/delegated-routing-v1-http-api-client 9 cancels an ndjson response body on abort with
 * `res.body.cancel()` while its own reader still holds the stream (every bitswap want that ends
 * aborts the provider lookup it started). The browser answers with a rejected promise, "Cannot
 * cancel a locked stream", that nobody handles. The body is being read and is released when the
 * reader stops, so that one rejection is harmless: this drops it, and only it. Every other
 * unhandled rejection reaches the console (and fails the end-to-end tests) as before. The Node
 * side has the same guard in `src/node/polyfill-node20.ts`.
 */
export function isLockedStreamCancel (reason: unknown): boolean {
  const e = reason as { name?: unknown, message?: unknown } | null
  return e !== null && typeof e === 'object' && e.name === 'TypeError' &&
    typeof e.message === 'string' && /cancel.*locked stream/i.test(e.message)
}

export function dropLockedStreamCancels (target: Pick<typeof globalThis, 'addEventListener'> = globalThis): void {
  target.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
    if (isLockedStreamCancel(event.reason)) event.preventDefault()
  })
}
