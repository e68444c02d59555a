/**
 * The options bag that every long operation takes: one `signal` and one typed `onProgress`,
 * passed unchanged all the way down.
 */

/** A progress event: a `type` of the form `<module>:<operation>:<phase>` and a typed `detail`. */
export interface ProgressEvent<T extends string = string, D = unknown> {
  type: T
  detail: D
}

export interface AbortOptions {
  signal?: AbortSignal | undefined
}

export interface ProgressOptions<E extends ProgressEvent = ProgressEvent> {
  onProgress?: ((event: E) => void) | undefined
}

export interface OperationOptions<E extends ProgressEvent = ProgressEvent> extends AbortOptions, ProgressOptions<E> {}

/** Emit a progress event, type-checked against the operation's event union. */
export function emit<E extends ProgressEvent, T extends E['type']> (
  options: ProgressOptions<E> | undefined,
  type: T,
  detail: Extract<E, { type: T }>['detail']
): void {
  options?.onProgress?.({ type, detail } as unknown as E)
}

/** Combine the caller's signal with a timeout; call `clear()` in `finally`. */
export function withTimeout (signal: AbortSignal | undefined, ms: number): { signal: AbortSignal, clear: () => void } {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new DOMException(`Timed out after ${ms} ms`, 'TimeoutError')) }, ms)
  const onAbort = (): void => { controller.abort(signal?.reason) }
  if (signal?.aborted === true) controller.abort(signal.reason)
  else signal?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }
}
