/**
 * Tar headers byte for byte as Go's `archive/tar` Writer writes them when the caller leaves the
 * format open, which is what `restic dump` does: modification time rounded to the second, access
 * and change times dropped, USTAR when the entry fits (long ASCII names split into prefix and
 * name), otherwise a PAX extended header (`PaxHeaders.0/<name>`, sorted records) before the entry.
 *
 * Strings are Go strings: "binary strings" here, one character per byte (0–255), so names that are
 * not UTF-8 pass through unchanged. `binary()`/`fromBinary()` convert.
 */

export const BLOCK = 512

export interface TarHeader {
  /** Binary string (one char per byte). */
  name: string
  linkname: string
  uname: string
  gname: string
  mode: number
  uid: number
  gid: number
  size: number
  /** Modification time in nanoseconds since the epoch; rounded to the second as Go does. */
  mtimeNs: bigint
  /** '0' file, '2' symlink, '5' directory. */
  typeflag: string
  /** Extra PAX records (restic's SCHILY.xattr.* for extended attributes); binary strings. */
  paxRecords?: Record<string, string> | undefined
}

export function binary (bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192))
  return s
}

export function fromBinary (s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff
  return out
}

const asciiByte = (c: number): boolean => c > 0 && c < 0x80
/** Go's isASCII: no byte >= 0x80 and no NUL. */
function isAscii (s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!asciiByte(s.charCodeAt(i))) return false
  return true
}
/** Go's toASCII: drops every non-ASCII rune (every byte >= 0x80 here) and NUL. */
function toAscii (s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) if (asciiByte(s.charCodeAt(i))) out += s[i] as string
  return out
}

function fitsOctal (width: number, x: number): boolean {
  return x >= 0 && (width >= 22 || x < 8 ** (width - 1))
}

/** Go's splitUSTARPath: a long ASCII name split at a "/" into a prefix (155) and a name (100). */
function splitUstar (s: string): [string, string] | undefined {
  let length = s.length
  if (length <= 100 || !isAscii(s)) return undefined
  if (length > 156) length = 156
  else if (s[length - 1] === '/') length--
  const i = s.lastIndexOf('/', length - 1)
  const nlen = s.length - i - 1
  if (i <= 0 || nlen > 100 || nlen === 0 || i > 155) return undefined
  return [s.slice(0, i), s.slice(i + 1)]
}

function putString (b: Uint8Array, off: number, width: number, s: string): void {
  const n = Math.min(s.length, width)
  for (let i = 0; i < n; i++) b[off + i] = s.charCodeAt(i)
  if (s.length < width) b[off + s.length] = 0
  if (s.length > width && b[off + width - 1] === 0x2f) {
    // a truncated name must not end in "/" (readers would take it for a folder)
    b[off + s.slice(0, width - 1).replace(/\/+$/, '').length] = 0
  }
}

function putOctal (b: Uint8Array, off: number, width: number, x: number): void {
  if (!fitsOctal(width, x)) x = 0
  let s = x.toString(8)
  if (width - s.length - 1 > 0) s = '0'.repeat(width - s.length - 1) + s
  putString(b, off, width, s)
}

function finish (b: Uint8Array): Uint8Array {
  b.set([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30], 257) // "ustar\0" "00"
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i] as number
  putOctal(b, 148, 7, sum)
  b[155] = 0x20
  return b
}

/** The V7 and USTAR fields Go's templateV7Plus fills. */
function template (h: TarHeader, name: string, str: (s: string) => string, mtime: number): Uint8Array {
  const b = new Uint8Array(BLOCK)
  b[156] = h.typeflag.charCodeAt(0)
  putString(b, 0, 100, str(name))
  putString(b, 157, 100, str(h.linkname))
  putOctal(b, 100, 8, h.mode)
  putOctal(b, 108, 8, h.uid)
  putOctal(b, 116, 8, h.gid)
  putOctal(b, 124, 12, h.size)
  putOctal(b, 136, 12, mtime)
  putString(b, 265, 32, str(h.uname))
  putString(b, 297, 32, str(h.gname))
  putOctal(b, 329, 8, 0)
  putOctal(b, 337, 8, 0)
  return b
}

/** Go's formatPAXRecord: "<len> <key>=<value>\n", the length counting itself. */
function paxRecord (k: string, v: string): string {
  let size = k.length + v.length + 3
  size += String(size).length
  let rec = `${size} ${k}=${v}\n`
  if (rec.length !== size) rec = `${rec.length} ${k}=${v}\n`
  return rec
}

const BASIC_KEYS = new Set(['path', 'linkpath', 'size', 'uid', 'gid', 'uname', 'gname', 'mtime', 'atime', 'ctime'])

/** Go's path.Join(dir, "PaxHeaders.0", file) after path.Split(name). */
function paxHeaderName (name: string): string {
  const slash = name.lastIndexOf('/')
  const dir = name.slice(0, slash + 1)
  const file = name.slice(slash + 1)
  const joined = [dir, 'PaxHeaders.0', file].filter(x => x !== '').join('/')
  const parts: string[] = []
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop()
    else if (seg === '..' && joined.startsWith('/')) continue
    else parts.push(seg)
  }
  return (joined.startsWith('/') ? '/' : '') + parts.join('/')
}

/** The header block(s) for one entry: one USTAR block, or a PAX header, its records, then the entry's block. */
export function tarHeader (h: TarHeader): Uint8Array {
  // Go rounds to the nearest second, halves up (towards the future)
  const shifted = h.mtimeNs + 500_000_000n
  const mtime = Number(shifted / 1_000_000_000n - (shifted < 0n && shifted % 1_000_000_000n !== 0n ? 1n : 0n))
  let ustar = true
  const pax: Record<string, string> = {}
  const str = (s: string, width: number, key: string, splittable = false): void => {
    if (!isAscii(s) || s.length > width) {
      if (!splittable || splitUstar(s) === undefined) ustar = false
      pax[key] = s
    }
  }
  const num = (n: number, width: number, key: string): void => {
    if (!fitsOctal(width, n)) { ustar = false; pax[key] = String(n) }
  }
  str(h.name, 100, 'path', true)
  str(h.linkname, 100, 'linkpath')
  str(h.uname, 32, 'uname')
  str(h.gname, 32, 'gname')
  num(h.uid, 8, 'uid')
  num(h.gid, 8, 'gid')
  num(h.size, 12, 'size')
  if (!fitsOctal(12, mtime)) { ustar = false; pax.mtime = String(mtime) }
  const extra = Object.entries(h.paxRecords ?? {})
  if (extra.length > 0) {
    ustar = false
    for (const [k, v] of extra) if (!(k in pax) && !BASIC_KEYS.has(k) && !k.startsWith('GNU.sparse.')) pax[k] = v
  }
  if (ustar) {
    const split = splitUstar(h.name)
    const b = template(h, split?.[1] ?? h.name, s => s, mtime)
    if (split !== undefined) putString(b, 345, 155, split[0])
    return finish(b)
  }
  const data = Object.keys(pax).sort().map(k => paxRecord(k, pax[k] as string)).join('')
  const x = new Uint8Array(BLOCK)
  x[156] = 0x78 // 'x'
  const xname = toAscii(paxHeaderName(h.name)).slice(0, 100).replace(/\/+$/, '')
  putString(x, 0, 100, xname)
  putOctal(x, 100, 8, 0)
  putOctal(x, 108, 8, 0)
  putOctal(x, 116, 8, 0)
  putOctal(x, 124, 12, data.length)
  putOctal(x, 136, 12, 0)
  const body = fromBinary(data)
  const out = new Uint8Array(BLOCK + padded(body.length) + BLOCK)
  out.set(finish(x), 0)
  out.set(body, BLOCK)
  out.set(finish(template(h, h.name, toAscii, mtime)), BLOCK + padded(body.length))
  return out
}

/** `n` rounded up to whole blocks. */
export function padded (n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK
}

/** The end of a tar: two zero blocks (Go writes no further padding). */
export const TAR_END = new Uint8Array(2 * BLOCK)
