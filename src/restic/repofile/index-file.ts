/** Index files (`index/<id>`): which blob lives where in which pack. */

export type BlobType = 'data' | 'tree'

export interface IndexBlobJSON {
  id: string
  type: BlobType
  offset: number
  length: number
  uncompressed_length?: number
}

export interface IndexPackJSON {
  id: string
  blobs: IndexBlobJSON[]
}

export interface IndexFile {
  supersedes?: string[]
  packs: IndexPackJSON[]
}

/** Parse an index file; the legacy format (a bare array of packs) is accepted too. */
export function parseIndexFile (json: unknown): IndexFile {
  if (Array.isArray(json)) return { packs: json as IndexPackJSON[] }
  const f = json as Partial<IndexFile>
  if (typeof f !== 'object' || f === null || !Array.isArray(f.packs)) throw new TypeError('index without "packs"')
  for (const p of f.packs) {
    if (typeof p.id !== 'string' || !Array.isArray(p.blobs)) throw new TypeError('index pack without id or blobs')
    for (const b of p.blobs) {
      if (typeof b.id !== 'string' || (b.type !== 'data' && b.type !== 'tree') || typeof b.offset !== 'number' || typeof b.length !== 'number') throw new TypeError('malformed index blob entry')
    }
  }
  return { supersedes: f.supersedes ?? [], packs: f.packs }
}

/** Compact JSON with a trailing newline, like restic's json.Encoder. */
export function encodeIndexFile (f: IndexFile): string {
  const body: IndexFile = f.supersedes !== undefined && f.supersedes.length > 0 ? { supersedes: f.supersedes, packs: f.packs } : { packs: f.packs }
  return JSON.stringify(body) + '\n'
}
