/**
 * Zip and tar downloads of UnixFS folders keep every entry inside the archive's top folder: entries
 * named "..", "../../evil", "." or "a\b" are left out (reported as `browse:walk:refused`, with
 * their subtrees), the valid siblings are packed with their bytes.
 */
import { extract } from 'it-tar'
import { unixfs } from '@helia/unixfs'
import { describe, expect, it } from 'vitest'
import { archiveRoot, tarStream, zipStream } from '../../../src/ipfs/browse/archive.js'
import { useTestNodes } from './node.js'
import { hostileEntries, putHostileDir } from './hostile-dag.js'

const node = useTestNodes()

async function * chunks (stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader()
  while (true) {
    const { done, value } = await reader.read()
    if (done) return
    yield value
  }
}

async function concat (source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of source) parts.push(p)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** Entry names from a zip's central directory. */
function zipNames (zip: Uint8Array): string[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
  let eocd = zip.length - 22
  while (eocd >= 0 && view.getUint32(eocd, true) !== 0x06054b50) eocd--
  const count = view.getUint16(eocd + 10, true)
  let at = view.getUint32(eocd + 16, true)
  const names: string[] = []
  for (let i = 0; i < count; i++) {
    expect(view.getUint32(at, true)).toBe(0x02014b50)
    const n = view.getUint16(at + 28, true)
    names.push(new TextDecoder().decode(zip.subarray(at + 46, at + 46 + n)))
    at += 46 + n + view.getUint16(at + 30, true) + view.getUint16(at + 32, true)
  }
  return names.sort()
}

const REFUSED = ['/".."', '/"../../evil"', '/"."', '/"a\\\\b"', '/sub/"../../../deep"'].sort()

describe('archives of UnixFS folders with hostile names', () => {
  it('tar: only entries inside the top folder, with their bytes; refused entries reported', async () => {
    const { helia } = await node()
    const cid = await putHostileDir(helia.blockstore, hostileEntries())
    const refused: string[] = []
    const entries: Record<string, string> = {}
    for await (const e of extract()(tarStream(helia, cid, 'folder', { offline: true, onProgress: evt => { if (evt.type === 'browse:walk:refused') refused.push(evt.detail.path) } }))) {
      entries[e.header.name] = e.header.type === 'directory' ? 'dir' : new TextDecoder().decode(await concat(e.body))
      if (e.header.type === 'directory') for await (const _ of e.body) { /* drain */ }
    }
    expect(entries).toEqual({ folder: 'dir', 'folder/sub': 'dir', 'folder/ok.txt': 'fine\n', 'folder/sub/inner.txt': 'inner\n' })
    expect(refused.sort()).toEqual(REFUSED)
  })

  it('zip: only entries inside the top folder; refused entries reported', async () => {
    const { helia } = await node()
    const cid = await putHostileDir(helia.blockstore, hostileEntries())
    const refused: string[] = []
    const zip = await concat(chunks(zipStream(helia, cid, 'folder', { offline: true, onProgress: evt => { if (evt.type === 'browse:walk:refused') refused.push(evt.detail.path) } })))
    expect(zipNames(zip)).toEqual(['folder/ok.txt', 'folder/sub/', 'folder/sub/inner.txt'])
    expect(refused.sort()).toEqual(REFUSED)
  })

  it('a top folder name that is no single segment becomes the CID', async () => {
    const { helia } = await node()
    const cid = await putHostileDir(helia.blockstore, [{ name: 'f', data: 'x' }])
    for (const bad of ['', '.', '..', '../x', 'a\\b']) expect(archiveRoot(cid, bad)).toBe(cid.toString())
    expect(archiveRoot(cid, 'photos 2024')).toBe('photos 2024')
    expect(zipNames(await concat(chunks(zipStream(helia, cid, '..', { offline: true }))))).toEqual([`${cid.toString()}/f`])
  })

  it('entries are dated by their UnixFS mtime, else when the archive is made (never 1970 or 2098)', async () => {
    const { helia } = await node()
    const fs = unixfs(helia)
    // addFile with a path wraps the file in a folder: that folder holds dated.txt with its mtime.
    let dir = await fs.addFile({ path: 'dated.txt', content: new TextEncoder().encode('dated'), mtime: { secs: 1_600_000_000n } }, { reduceSingleLeafToSelf: false })
    dir = await fs.cp(await fs.addBytes(new TextEncoder().encode('undated')), dir, 'plain.txt')
    const before = Date.now() - 2000
    const times: Record<string, number> = {}
    for await (const e of extract()(tarStream(helia, dir, 'folder', { offline: true }))) {
      times[e.header.name] = e.header.mtime?.getTime() ?? 0
      for await (const _ of e.body) { /* drain */ }
    }
    expect(times['folder/dated.txt']).toBe(1_600_000_000_000)
    expect(times['folder/plain.txt']).toBeGreaterThanOrEqual(before)
    expect(times.folder).toBeGreaterThanOrEqual(before)
    // The zip's DOS date of the undated entry (local time, 2-second steps): this year, not 2098.
    const zip = await concat(chunks(zipStream(helia, dir, 'folder', { offline: true })))
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength)
    const years: number[] = []
    for (let at = 0; at + 30 < zip.length; at++) {
      if (view.getUint32(at, true) === 0x04034b50) years.push(1980 + (view.getUint16(at + 12, true) >> 9))
    }
    expect(years.sort()).toEqual([2020, new Date().getFullYear()].sort())
  })
})
