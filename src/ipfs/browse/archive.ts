/**
 * Stream a UnixFS directory as a `.tar` (it-tar) or `.zip` (client-zip, stored entries). Files are
 * read block by block as the archive is consumed, so memory stays bounded. Entry names come from
 * the DAG: `walkFiles` skips (and reports as `browse:walk:refused`) any name that is empty, ".",
 * "..", or holds "/", "\" or NUL, so every entry stays inside the archive's top folder.
 */
import { pack } from 'it-tar'
import { makeZip } from 'client-zip'
import { isSafeName } from '../../core/names.js'
import { read, walkFiles } from './browse.js'
import type { CID } from 'multiformats/cid'
import type { WalkOptions } from './browse.js'

type Node = Parameters<typeof read>[0]

/** The archive's top folder: `rootName` when it is one safe segment, else the CID. */
export function archiveRoot (cid: CID, rootName: string): string {
  return isSafeName(rootName, { backslash: true }) ? rootName : cid.toString()
}

/**
 * An entry's time in an archive: the mtime its DAG records, else when the archive is made (zip's
 * DOS dates cannot hold 1970, and a tar dated 1970 looks broken).
 */
function entryTime (mtime: Date | undefined, made: Date): Date {
  return mtime !== undefined && mtime.getTime() >= Date.UTC(1980, 0, 1) ? mtime : made
}

export async function * tarStream (node: Node, cid: CID, rootName: string, options: WalkOptions = {}): AsyncGenerator<Uint8Array> {
  const root = archiveRoot(cid, rootName)
  const made = new Date()
  async function * entries (): AsyncGenerator<{ header: { name: string, type: 'file' | 'directory', size?: number, mode: number, mtime: Date }, body?: AsyncIterable<Uint8Array> }> {
    yield { header: { name: root, type: 'directory', mode: 0o755, mtime: made } }
    for await (const { path, entry } of walkFiles(node, cid, options)) {
      if (entry.type === 'directory') {
        yield { header: { name: `${root}/${path}`, type: 'directory', mode: 0o755, mtime: entryTime(entry.mtime, made) } }
      } else {
        yield { header: { name: `${root}/${path}`, type: 'file', size: Number(entry.size), mode: 0o644, mtime: entryTime(entry.mtime, made) }, body: read(node, entry.cid, options) }
      }
    }
  }
  yield * pack()(entries())
}

export function zipStream (node: Node, cid: CID, rootName: string, options: WalkOptions = {}): ReadableStream<Uint8Array> {
  const root = archiveRoot(cid, rootName)
  const made = new Date()
  async function * entries (): AsyncGenerator<{ name: string, input?: AsyncIterable<Uint8Array>, size?: bigint, lastModified: Date }> {
    for await (const { path, entry } of walkFiles(node, cid, options)) {
      if (entry.type === 'directory') yield { name: `${root}/${path}/`, lastModified: entryTime(entry.mtime, made) }
      else yield { name: `${root}/${path}`, input: read(node, entry.cid, options), size: entry.size, lastModified: entryTime(entry.mtime, made) }
    }
  }
  return makeZip(entries() as AsyncIterable<never>)
}
export { ArchiveIncompleteError } from './errors.js'
