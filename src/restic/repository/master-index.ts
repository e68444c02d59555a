/** All index files merged in memory: blob (type, id) → location, and pack → blobs. */
import type { PackedBlob } from '../pack/header.js'
import type { BlobType, IndexFile } from '../repofile/index-file.js'

export interface BlobLocation extends PackedBlob {
  packId: string
}

export class MasterIndex {
  readonly #blobs: Record<BlobType, Map<string, BlobLocation>> = { data: new Map(), tree: new Map() }
  /** pack id → blobs, as the first index file listing the pack says. */
  readonly packs = new Map<string, PackedBlob[]>()
  /** index file id → pack ids it lists. */
  readonly files = new Map<string, string[]>()
  /** Superseded index file ids (from `supersedes`). */
  readonly superseded = new Set<string>()
  /** Packs listed by more than one index file. */
  readonly duplicatePacks = new Set<string>()

  get (type: BlobType, id: string): BlobLocation | undefined {
    return this.#blobs[type].get(id)
  }

  has (type: BlobType, id: string): boolean {
    return this.#blobs[type].has(id)
  }

  count (type: BlobType): number { return this.#blobs[type].size }

  blobs (type: BlobType): IterableIterator<BlobLocation> { return this.#blobs[type].values() }

  /** Add one pack's blobs (from an index file or a freshly written pack). */
  addPack (packId: string, blobs: readonly PackedBlob[]): void {
    if (this.packs.has(packId)) { this.duplicatePacks.add(packId); return }
    this.packs.set(packId, [...blobs])
    for (const b of blobs) {
      if (!this.#blobs[b.type].has(b.id)) this.#blobs[b.type].set(b.id, { ...b, packId })
    }
  }

  addFile (fileId: string, f: IndexFile): void {
    this.files.set(fileId, f.packs.map(p => p.id))
    for (const s of f.supersedes ?? []) this.superseded.add(s)
    for (const p of f.packs) {
      this.addPack(p.id, p.blobs.map(b => ({ type: b.type, id: b.id, offset: b.offset, length: b.length, uncompressedLength: b.uncompressed_length })))
    }
  }
}

/** The JSON form of a pack's entry in an index file. */
export function packToIndexJSON (packId: string, blobs: readonly PackedBlob[]): IndexFile['packs'][number] {
  return {
    id: packId,
    blobs: blobs.map(b => b.uncompressedLength === undefined
      ? { id: b.id, type: b.type, offset: b.offset, length: b.length }
      : { id: b.id, type: b.type, offset: b.offset, length: b.length, uncompressed_length: b.uncompressedLength })
  }
}
