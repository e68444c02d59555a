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

/** Bytes of each sample `worthCompressing` compresses. */
const SAMPLE = 8 * 1024

/**
 * Whether `data` (a blob of at least 64 KiB) is worth compressing: false only when samples at its
 * start, middle and end all fail to shrink by 3% (random, encrypted or already compressed data).
 * Such blobs are stored uncompressed, as `restic --compression off` does (a version 2 repository
 * may mix both; the index then has no uncompressed length for them); zstd on them costs about a
 * third of a blob's CPU for no gain. Smaller blobs are always compressed.
 */
export async function worthCompressing (data: Uint8Array): Promise<boolean> {
  if (data.length < 8 * SAMPLE) return true
  await zstdReady()
  for (const at of [0, (data.length - SAMPLE) >>> 1, data.length - SAMPLE]) {
    if (zCompress(data.subarray(at, at + SAMPLE), 3).length < SAMPLE * 0.97) return true
  }
  return false
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
