/**
 * Zip entries byte for byte as Go's `archive/zip` Writer writes them for `restic dump --archive
 * zip`: stored (not compressed), an extended-timestamp extra field, a data descriptor after each
 * file, Unix modes in the external attributes, and the central directory at the end (zip64 records
 * only past the 32-bit limits). Names are binary strings (one char per byte), as in `go-tar.ts`.
 */
import { fromBinary } from './go-tar.js'

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** CRC-32 (IEEE), continued from `crc` (0 to start). */
export function crc32 (bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8)
  return ~c >>> 0
}

const U32MAX = 0xffffffff

export interface ZipEntry {
  /** Binary string; a folder's ends in "/". */
  name: string
  /** Go FileMode of the node (type bits and permissions). */
  mode: number
  /** The modification time as restic stores it (RFC 3339 with its offset): the DOS fields use that offset's wall clock. */
  mtime: string
  /** Seconds since the epoch (floored). */
  unix: number
}

interface Written { entry: ZipEntry, flags: number, extra: Uint8Array, offset: number, crc: number, size: number, external: number, dosTime: number, dosDate: number }

class Buf {
  readonly b: Uint8Array
  readonly v: DataView
  i = 0
  constructor (n: number) { this.b = new Uint8Array(n); this.v = new DataView(this.b.buffer) }
  u16 (x: number): this { this.v.setUint16(this.i, x & 0xffff, true); this.i += 2; return this }
  u32 (x: number): this { this.v.setUint32(this.i, x >>> 0, true); this.i += 4; return this }
  u64 (x: number): this { this.v.setBigUint64(this.i, BigInt(x), true); this.i += 8; return this }
}

/** Go's detectUTF8: is the name valid UTF-8, and does it need the UTF-8 flag (outside 0x20–0x7d, or "\")? */
function needsUtf8Flag (name: string): boolean {
  const bytes = fromBinary(name)
  let require = false
  for (let i = 0; i < bytes.length;) {
    const c = bytes[i] as number
    if (c < 0x80) {
      if (c < 0x20 || c > 0x7d || c === 0x5c) require = true
      i++
      continue
    }
    const len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0
    if (len === 0 || i + len > bytes.length) return false
    try { new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i, i + len)) } catch { return false }
    require = true
    i += len
  }
  return require
}

/** Go's fileModeToUnixMode plus the MS-DOS bits SetMode adds, as the external attributes. */
function externalAttrs (mode: number): number {
  const has = (bit: number): boolean => Math.floor(mode / 2 ** bit) % 2 === 1
  let m = 0o100000 // regular
  if (has(31)) m = 0o040000
  else if (has(27)) m = 0o120000
  else if (has(25)) m = 0o010000
  else if (has(24)) m = 0o140000
  else if (has(26)) m = has(21) ? 0o020000 : 0o060000
  if (has(23)) m |= 0o4000
  if (has(22)) m |= 0o2000
  if (has(20)) m |= 0o1000
  m |= mode & 0o777
  let ext = (m * 65536) >>> 0
  if (has(31)) ext |= 0x10
  if ((mode & 0o200) === 0) ext |= 0x01
  return ext >>> 0
}

/** Writes a zip one entry at a time; keeps one small record per entry for the central directory. */
export class GoZipWriter {
  #offset = 0
  readonly #dir: Written[] = []
  #current: Written | undefined

  /** The local header of an entry; then its content through `data()`, then `end()` (files only). */
  begin (entry: ZipEntry): Uint8Array {
    const isDir = entry.name.endsWith('/')
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(entry.mtime)
    const [y, mo, d, h, mi, s] = m === null ? [1980, 1, 1, 0, 0, 0] : m.slice(1).map(Number) as [number, number, number, number, number, number]
    const dosDate = (d + (mo << 5) + ((y - 1980) << 9)) & 0xffff
    const dosTime = (Math.floor(s / 2) + (mi << 5) + (h << 11)) & 0xffff
    const extra = new Buf(9).u16(0x5455).u16(5)
    extra.b[extra.i++] = 1
    extra.u32(entry.unix)
    const flags = (isDir ? 0 : 0x8) | (needsUtf8Flag(entry.name) ? 0x800 : 0)
    const w: Written = { entry, flags, extra: extra.b, offset: this.#offset, crc: 0, size: 0, external: externalAttrs(entry.mode), dosTime, dosDate }
    this.#dir.push(w)
    this.#current = isDir ? undefined : w
    const name = fromBinary(entry.name)
    const b = new Buf(30 + name.length + 9)
    b.u32(0x04034b50).u16(20).u16(flags).u16(0).u16(dosTime).u16(dosDate).u32(0).u32(0).u32(0).u16(name.length).u16(9)
    b.b.set(name, 30)
    b.b.set(extra.b, 30 + name.length)
    this.#offset += b.b.length
    return b.b
  }

  /** Account for content bytes of the current entry (they are written as they are: stored). */
  data (chunk: Uint8Array): Uint8Array {
    const w = this.#current
    if (w === undefined) throw new TypeError('no file entry is open')
    w.crc = crc32(chunk, w.crc)
    w.size += chunk.length
    this.#offset += chunk.length
    return chunk
  }

  /** The data descriptor that closes the current file entry. */
  end (): Uint8Array {
    const w = this.#current
    if (w === undefined) return new Uint8Array(0)
    this.#current = undefined
    const zip64 = w.size >= U32MAX
    const b = new Buf(zip64 ? 24 : 16).u32(0x08074b50).u32(w.crc)
    if (zip64) b.u64(w.size).u64(w.size)
    else b.u32(w.size).u32(w.size)
    this.#offset += b.b.length
    return b.b
  }

  /** The central directory and its end record. */
  finish (): Uint8Array {
    const parts: Uint8Array[] = []
    const start = this.#offset
    for (const w of this.#dir) {
      const name = fromBinary(w.entry.name)
      const zip64 = w.size >= U32MAX || w.offset >= U32MAX
      let extra = w.extra
      const b = new Buf(46)
      b.u32(0x02014b50).u16(0x0314).u16(zip64 ? 45 : 20).u16(w.flags).u16(0).u16(w.dosTime).u16(w.dosDate).u32(w.crc)
      if (zip64) {
        b.u32(U32MAX).u32(U32MAX)
        const z = new Buf(28).u16(0x0001).u16(24).u64(w.size).u64(w.size).u64(w.offset)
        extra = Uint8Array.from([...extra, ...z.b])
      } else {
        b.u32(w.size).u32(w.size)
      }
      b.u16(name.length).u16(extra.length).u16(0).u16(0).u16(0).u32(w.external).u32(Math.min(w.offset, U32MAX))
      parts.push(b.b, name, extra)
    }
    const size = parts.reduce((n, p) => n + p.length, 0)
    let records = this.#dir.length
    let dirSize = size
    let dirOffset = start
    if (records >= 0xffff || size >= U32MAX || start >= U32MAX) {
      const end = start + size
      const z = new Buf(56 + 20).u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(records).u64(records).u64(size).u64(start)
      z.u32(0x07064b50).u32(0).u64(end).u32(1)
      parts.push(z.b)
      records = 0xffff
      dirSize = U32MAX
      dirOffset = U32MAX
    }
    parts.push(new Buf(22).u32(0x06054b50).u16(0).u16(0).u16(records).u16(records).u32(dirSize).u32(dirOffset).u16(0).b)
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let o = 0
    for (const p of parts) { out.set(p, o); o += p.length }
    return out
  }
}
