/**
 * zstd for v2 repositories: libzstd compiled to WASM (@bokuweb/zstd-wasm), level 3 like restic's
 * default. Loaded once, lazily; works in Node, pages and workers.
 */
import { compress as zCompress, decompress as zDecompress, init } from '@bokuweb/zstd-wasm'
import { decompress as fzstdDecompress } from 'fzstd'

let ready: Promise<void> | undefined

export async function zstdReady (): Promise<void> {
  ready ??= init()
  await ready
}

/** Compress one blob or unpacked file as a single frame. */
export async function compress (data: Uint8Array, level = 3): Promise<Uint8Array> {
  await zstdReady()
  return zCompress(data, level)
}

/**
 * Decompress to exactly `expectedLength` bytes (frames may lack the content size); throws on mismatch.
 * Without a known length (unpacked files) and no size in the frame, the pure-JS decoder grows its
 * output as needed.
 */
export async function decompress (data: Uint8Array, expectedLength?: number): Promise<Uint8Array> {
  await zstdReady()
  let out: Uint8Array
  try {
    out = zDecompress(data, { defaultHeapSize: expectedLength ?? 16 * 1024 * 1024 })
  } catch (err) {
    if (expectedLength !== undefined) throw err
    out = fzstdDecompress(data)
  }
  if (expectedLength !== undefined && out.length !== expectedLength) throw new RangeError(`decompressed ${out.length} bytes, expected ${expectedLength}`)
  return out
}
