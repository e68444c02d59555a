/**
 * Reading a file as pieces through a small ring of reused buffers, for backup sources.
 *
 * A backup reads every byte once, and the chunker copies each piece as it comes. Fresh buffers
 * per piece leave a trail of garbage as long as the input, which engines free late. In Chromium
 * this made the page's memory grow with the size of the backup. A ring keeps memory flat: `ahead`
 * pieces are read while the consumer works on the current one, and a piece's buffer is filled
 * again as soon as the consumer asks for the next piece. The same contract is documented on
 * `BackupSource.open`.
 */
import type { AbortOptions } from '../../core/options.js'

/**
 * Fills `buf` from the file's current position, up to its length (less only at the end of the
 * file). Returns the filled bytes, which may be a view over a different `ArrayBuffer` when the
 * read took the buffer over (a BYOB stream read transfers it); empty at the end of the file.
 */
export type Fill = (buf: Uint8Array) => Promise<Uint8Array>

export interface ReadPiecesOptions extends AbortOptions {
  /** Bytes per piece (default 1 MiB). */
  pieceSize?: number | undefined
  /** Pieces read ahead of the consumer (default 4). The ring holds `ahead + 1` buffers. */
  ahead?: number | undefined
}

/**
 * Yields a file's bytes as pieces of `pieceSize` bytes (the last may be shorter). Fills run one
 * after another, in file order. A yielded piece stays valid only until the next one is requested.
 * On return or error it waits for the fill in progress, so the caller may close the file after.
 */
export async function * readPieces (fill: Fill, options: ReadPiecesOptions = {}): AsyncGenerator<Uint8Array> {
  const size = options.pieceSize ?? 1 << 20
  const ahead = Math.max(1, options.ahead ?? 4)
  const free: Uint8Array[] = []
  const pending: Array<Promise<Uint8Array>> = []
  let tail: Promise<unknown> = Promise.resolve()
  let ended = false
  const start = (): void => {
    const p = tail.then(async () => {
      if (ended) return new Uint8Array(0)
      try {
        const got = await fill(free.pop() ?? new Uint8Array(size))
        if (got.length === 0) ended = true
        return got
      } catch (err) {
        ended = true
        throw err
      }
    })
    p.catch(() => {}) // awaited in order below
    tail = p.catch(() => {})
    pending.push(p)
  }
  try {
    for (;;) {
      options.signal?.throwIfAborted()
      while (pending.length < ahead) start()
      const piece = await (pending.shift() as Promise<Uint8Array>)
      if (piece.length === 0) return
      start()
      yield piece
      // The consumer asked for the next piece: this one's buffer can be filled again.
      free.push(new Uint8Array(piece.buffer, 0, size))
    }
  } finally {
    ended = true
    await tail
  }
}

/**
 * A `Fill` over a byte stream's BYOB reader (a `Blob`'s `stream()` in browsers): each read
 * transfers the buffer and hands it back, so the same memory is used again.
 */
export function byobFill (reader: ReadableStreamBYOBReader): Fill {
  return async (buf) => {
    let ab = buf.buffer as ArrayBuffer
    const base = buf.byteOffset
    let off = 0
    while (off < buf.length) {
      const { done, value } = await reader.read(new Uint8Array(ab, base + off, buf.length - off))
      if (value === undefined) return new Uint8Array(0) // cancelled
      ab = value.buffer
      if (done) break
      off += value.byteLength
    }
    return new Uint8Array(ab, base, off)
  }
}
