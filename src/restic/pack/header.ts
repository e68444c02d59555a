/** Pack headers: one entry per blob (type, encrypted length, [uncompressed length], ID). */
import type { BlobType } from '../repofile/index-file.js'
import { fromHex, readU32, toHex, writeU32 } from '../util/bytes.js'

export interface PackedBlob {
  type: BlobType
  id: string
  offset: number
  /** Encrypted length, including the 32 bytes of crypto overhead. */
  length: number
  /** Plaintext length for compressed blobs; undefined when stored uncompressed. */
  uncompressedLength?: number | undefined
}

export const ENTRY_SIZE = 37
export const COMPRESSED_ENTRY_SIZE = 41
/** restic refuses pack headers larger than this. */
export const MAX_HEADER_SIZE = 16 * 1024 * 1024

export function entrySize (b: { uncompressedLength?: number | undefined }): number {
  return b.uncompressedLength === undefined ? ENTRY_SIZE : COMPRESSED_ENTRY_SIZE
}

export function encodeHeader (blobs: readonly PackedBlob[]): Uint8Array {
  let n = 0
  for (const b of blobs) n += entrySize(b)
  const out = new Uint8Array(n)
  let o = 0
  for (const b of blobs) {
    const compressed = b.uncompressedLength !== undefined
    out[o] = (b.type === 'data' ? 0 : 1) + (compressed ? 2 : 0)
    writeU32(out, o + 1, b.length)
    o += 5
    if (compressed) { writeU32(out, o, b.uncompressedLength as number); o += 4 }
    out.set(fromHex(b.id), o)
    o += 32
  }
  return out
}

/** Parse a decrypted header; offsets follow from the order of entries. */
export function parseHeader (plain: Uint8Array): PackedBlob[] {
  const blobs: PackedBlob[] = []
  let o = 0
  let offset = 0
  while (o < plain.length) {
    const t = plain[o] as number
    if (t > 3) throw new RangeError(`invalid blob type ${t} in pack header`)
    const size = t >= 2 ? COMPRESSED_ENTRY_SIZE : ENTRY_SIZE
    if (o + size > plain.length) throw new RangeError('truncated pack header entry')
    const length = readU32(plain, o + 1)
    const uncompressedLength = t >= 2 ? readU32(plain, o + 5) : undefined
    const id = toHex(plain.subarray(o + size - 32, o + size))
    blobs.push({ type: t % 2 === 0 ? 'data' : 'tree', id, offset, length, uncompressedLength })
    offset += length
    o += size
  }
  return blobs
}

/** Size of a pack computed from its blobs, as `restic check` does. */
export function packSize (blobs: readonly PackedBlob[]): number {
  let n = 4 + 32
  for (const b of blobs) n += b.length + entrySize(b)
  return n
}
