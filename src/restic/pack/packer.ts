/** Builds one pack in memory: sealed blobs back to back, sealed header, header length (uint32 LE). */
import type { Key } from '../crypto/key.js'
import type { BlobType } from '../repofile/index-file.js'
import { concat, sha256Hex, writeU32 } from '../util/bytes.js'
import { COMPRESSED_ENTRY_SIZE, MAX_HEADER_SIZE, encodeHeader, entrySize } from './header.js'
import type { PackedBlob } from './header.js'

export interface FinishedPack {
  id: string
  bytes: Uint8Array
  blobs: PackedBlob[]
}

export class Packer {
  readonly type: BlobType
  readonly #parts: Uint8Array[] = []
  readonly #blobs: PackedBlob[] = []
  #size = 0
  #done = false

  constructor (type: BlobType) { this.type = type }

  get size (): number { return this.#size }
  get count (): number { return this.#blobs.length }
  get blobs (): readonly PackedBlob[] { return this.#blobs }
  /** Header bytes the pack will need (plaintext). */
  get headerSize (): number { let n = 0; for (const b of this.#blobs) n += entrySize(b); return n }

  /** Add an already sealed blob. */
  add (id: string, sealed: Uint8Array, uncompressedLength: number | undefined): void {
    if (this.#done) throw new Error('packer already finished')
    this.#blobs.push({ type: this.type, id, offset: this.#size, length: sealed.length, uncompressedLength })
    this.#parts.push(sealed)
    this.#size += sealed.length
  }

  /** True when one more blob could make the header larger than restic accepts (restic's HeaderFull). */
  get headerFull (): boolean { return 4 + 32 + (this.#blobs.length + 1) * COMPRESSED_ENTRY_SIZE > MAX_HEADER_SIZE }

  /** Move every blob of `other` (not finished) to the end of this packer; `other` is left empty and finished. */
  absorb (other: Packer): void {
    if (this.#done || other.#done) throw new Error('packer already finished')
    if (other.type !== this.type) throw new Error(`cannot merge a ${other.type} packer into a ${this.type} packer`)
    other.#done = true
    for (let i = 0; i < other.#blobs.length; i++) {
      const b = other.#blobs[i] as PackedBlob
      this.add(b.id, other.#parts[i] as Uint8Array, b.uncompressedLength)
    }
    other.#parts.length = 0
    other.#blobs.length = 0
    other.#size = 0
  }

  async finish (key: Key): Promise<FinishedPack> {
    this.#done = true
    const header = await key.seal(encodeHeader(this.#blobs))
    const len = new Uint8Array(4)
    writeU32(len, 0, header.length)
    const bytes = concat([...this.#parts, header, len])
    this.#parts.length = 0
    return { id: await sha256Hex(bytes), bytes, blobs: this.#blobs }
  }
}
