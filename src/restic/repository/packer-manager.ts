/**
 * Spreads the blobs of one type over several open packers, picked at random for each blob, as
 * restic 0.18 does against the chunk-size fingerprinting attack (restic issue #5291). A file's
 * chunk boundaries depend on its content; with one packer the blobs land in a pack in file order,
 * so anyone who can read the pack files (an IPFS-hosted repository is public) sees the sealed
 * length of each chunk in sequence and can test whether a known file is in the backup. With the
 * blobs of a file scattered over packers at random, the pack layout no longer follows the chunk
 * sequence, and two backups of the same data give different packs.
 *
 * The rules restic keeps: a blob at least as large as the target pack size gets a pack of its own;
 * a pack is closed once it reaches the target size or its header could not take another entry;
 * at the end the open packers are merged while the result stays under the target size, so a small
 * backup still gives one pack (its blobs' sizes are not split over several).
 *
 * Memory: at most `count` open packers, each below `packSize` plus one blob.
 */
import { MAX_HEADER_SIZE } from '../pack/header.js'
import { Packer } from '../pack/packer.js'
import type { BlobType } from '../repofile/index-file.js'

/** Open packers per blob type (restic 0.18's default). */
export const DEFAULT_PACKER_COUNT = 2

/** A uniform random integer in [0, n), from the platform's CSPRNG (no modulo bias). */
export function randomIndex (n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`randomIndex needs 1 ≤ n ≤ 2^32, got ${n}`)
  if (n === 1) return 0
  const limit = 2 ** 32 - (2 ** 32 % n)
  const u = new Uint32Array(1)
  for (;;) {
    crypto.getRandomValues(u)
    const v = u[0] as number
    if (v < limit) return v % n
  }
}

export class PackerManager {
  readonly type: BlobType
  readonly packSize: number
  readonly #slots: Array<Packer | undefined>
  readonly #pick: (n: number) => number

  /** `pick` chooses a slot in [0, n) (default: `randomIndex`); tests may pass their own. */
  constructor (type: BlobType, packSize: number, count = DEFAULT_PACKER_COUNT, pick: (n: number) => number = randomIndex) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`packer count must be a positive integer, got ${count}`)
    this.type = type
    this.packSize = packSize
    this.#slots = new Array<Packer | undefined>(count).fill(undefined)
    this.#pick = pick
  }

  /** Packers holding blobs now. */
  get open (): number { return this.#slots.filter(p => p !== undefined && p.count > 0).length }
  /** Bytes held in open packers. */
  get bytes (): number { let n = 0; for (const p of this.#slots) n += p?.size ?? 0; return n }

  /**
   * Add a sealed blob to a packer picked at random. Returns the packer if it is now full (taken
   * out of the manager: the caller finishes and uploads it), otherwise undefined.
   */
  add (id: string, sealed: Uint8Array, uncompressedLength: number | undefined): Packer | undefined {
    if (sealed.length >= this.packSize) {
      // As restic: an oversized blob gets a pack of its own, so the open packers stay small.
      const own = new Packer(this.type)
      own.add(id, sealed, uncompressedLength)
      return own
    }
    const i = this.#pick(this.#slots.length)
    let packer = this.#slots[i]
    if (packer === undefined) { packer = new Packer(this.type); this.#slots[i] = packer }
    packer.add(id, sealed, uncompressedLength)
    if (packer.size < this.packSize && !packer.headerFull) return undefined
    this.#slots[i] = undefined
    return packer
  }

  /**
   * Take every open packer out of the manager, merged where two together stay below the target
   * size (restic's mergePackers): the packs to upload at a flush, in slot order.
   */
  drain (): Packer[] {
    const out: Packer[] = []
    let current: Packer | undefined
    for (let i = 0; i < this.#slots.length; i++) {
      const p = this.#slots[i]
      this.#slots[i] = undefined
      if (p === undefined || p.count === 0) continue
      if (current === undefined) { current = p; continue }
      if (current.size + p.size < this.packSize && !headerOverflows(current, p)) current.absorb(p)
      else { out.push(current); current = p }
    }
    if (current !== undefined) out.push(current)
    return out
  }
}

function headerOverflows (a: Packer, b: Packer): boolean {
  // Both under restic's limit on their own; a merge must keep the sum under it too.
  return 4 + 32 + a.headerSize + b.headerSize > MAX_HEADER_SIZE
}
