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

/**
 * `--compression max`: libzstd's strongest level without `--ultra` (levels 20-22 need windows of up
 * to 128 MiB to decode; 19 keeps restic's 8 MiB window bound).
 */
export const MAX_LEVEL = 19

/** Compress one blob or unpacked file as a single frame. */
export async function compress (data: Uint8Array, level = 3): Promise<Uint8Array> {
  await zstdReady()
  return zCompress(data, level)
}

/** Bytes of each sample `worthCompressing` compresses. */
const SAMPLE = 8 * 1024

/**
 * Whether `data` (a blob of at least 64 KiB) is worth handing to the compressor: false only when
 * samples at its start, middle and end all fail to shrink by 3% (random, encrypted or already
 * compressed data). Such blobs still get a zstd frame, as restic's `auto` mode gives every data
 * blob one, but a `storedFrame` (raw blocks): what libzstd itself writes for data it cannot shrink
 * (restic 0.14 stores a 1 734 170-byte random chunk as 1 734 222 bytes; this frame takes 1 734 221),
 * without spending about a third of the blob's CPU on finding that out. Smaller blobs are always
 * compressed.
 */
export async function worthCompressing (data: Uint8Array): Promise<boolean> {
  if (data.length < 8 * SAMPLE) return true
  await zstdReady()
  for (const at of [0, (data.length - SAMPLE) >>> 1, data.length - SAMPLE]) {
    if (zCompress(data.subarray(at, at + SAMPLE), 3).length < SAMPLE * 0.97) return true
  }
  return false
}

/** Largest raw block a frame may hold (zstd's Block_Maximum_Size). */
const MAX_BLOCK = 128 * 1024

/**
 * One zstd frame holding `data` in raw (stored) blocks: what a zstd encoder writes for data it
 * cannot shrink, without spending the time to find that out. The frame is single-segment with a
 * 4-byte content size, so any decoder sizes its output from it; no checksum.
 */
export function storedFrame (data: Uint8Array): Uint8Array {
  if (data.length > 0xffffffff) throw new RangeError('a stored zstd frame holds at most 4 GiB')
  const blocks = Math.max(1, Math.ceil(data.length / MAX_BLOCK))
  const out = new Uint8Array(9 + blocks * 3 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, 0xfd2fb528, true) // magic
  out[4] = 0xa0 // Frame_Header_Descriptor: FCS_Field_Size 2 (4 bytes), Single_Segment
  view.setUint32(5, data.length, true) // Frame_Content_Size
  let at = 9
  for (let i = 0; i < blocks; i++) {
    const start = i * MAX_BLOCK
    const size = Math.min(MAX_BLOCK, data.length - start)
    const header = (size << 3) | (0 << 1) | (i === blocks - 1 ? 1 : 0) // Block_Size, Raw_Block, Last_Block
    out[at] = header & 0xff
    out[at + 1] = (header >>> 8) & 0xff
    out[at + 2] = (header >>> 16) & 0xff
    out.set(data.subarray(start, start + size), at + 3)
    at += 3 + size
  }
  return out
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
