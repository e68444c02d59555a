/** Byte helpers shared by the IPFS modules and the local network. */

/** Whether two byte arrays hold the same bytes. */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * The bytes in an ArrayBuffer of their own (copied only when `b` is a view into a larger one).
 * IndexedDB and postMessage keep or copy a view's WHOLE buffer: a block stored as a view into an
 * importer's chunk stores the chunk, and an add stored about twice its size that way.
 */
export function ownBuffer (b: Uint8Array): Uint8Array<ArrayBuffer> {
  if (b.byteOffset === 0 && b.buffer instanceof ArrayBuffer && b.byteLength === b.buffer.byteLength) return b as Uint8Array<ArrayBuffer>
  return new Uint8Array(b) as Uint8Array<ArrayBuffer>
}
