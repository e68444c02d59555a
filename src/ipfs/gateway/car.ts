/** CARv1 framing for the trustless gateway: the header, and one section per block. */
import { close, createWriter, headerLength } from '@ipld/car/buffer-writer'
import { varint } from 'multiformats'
import type { CID } from 'multiformats/cid'

export function carHeaderBytes (root: CID): Uint8Array {
  const writer = createWriter(new ArrayBuffer(headerLength({ roots: [root] })), { roots: [root] })
  return close(writer, { resize: true })
}

export function carSectionBytes (cid: CID, bytes: Uint8Array): Uint8Array {
  const length = cid.bytes.byteLength + bytes.byteLength
  const prefix = varint.encodingLength(length)
  const out = new Uint8Array(prefix + length)
  varint.encodeTo(length, out, 0)
  out.set(cid.bytes, prefix)
  out.set(bytes, prefix + cid.bytes.byteLength)
  return out
}
