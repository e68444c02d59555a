/**
 * Go compatibility for the JSON restic writes: `encoding/json` string escaping, `strconv.Quote`
 * (restic stores node names quoted), and RFC 3339 times with nanoseconds.
 */
import { fromUtf8, utf8 } from './bytes.js'

/** A JSON string literal exactly as Go's encoding/json writes it (HTML-safe escaping). */
export function goJsonString (s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0) as number
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (c === 0x0a) out += '\\n'
    else if (c === 0x0d) out += '\\r'
    else if (c === 0x09) out += '\\t'
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16).padStart(4, '0')
    else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd' // lone surrogate: Go writes U+FFFD
    else out += ch
  }
  return out + '"'
}

/** Go's unicode.IsPrint approximation: letters, marks, numbers, punctuation, symbols and ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u

/** `strconv.Quote(name)` without the surrounding quotes; restic stores node names this way. */
export function goQuote (s: string): string {
  let out = ''
  for (const ch of s) {
    const c = ch.codePointAt(0) as number
    switch (ch) {
      case '"': out += '\\"'; continue
      case '\\': out += '\\\\'; continue
      case '\x07': out += '\\a'; continue
      case '\b': out += '\\b'; continue
      case '\f': out += '\\f'; continue
      case '\n': out += '\\n'; continue
      case '\r': out += '\\r'; continue
      case '\t': out += '\\t'; continue
      case '\v': out += '\\v'; continue
    }
    if (c >= 0xd800 && c <= 0xdfff) { out += '\\ufffd'; continue }
    if (PRINTABLE.test(ch)) { out += ch; continue }
    if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0')
    else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0')
    else out += '\\U' + c.toString(16).padStart(8, '0')
  }
  return out
}

/** Inverse of `goQuote` (Go `strconv.Unquote` of `"` + s + `"`); `\x` escapes may produce raw bytes. */
export function goUnquote (s: string): string {
  if (!s.includes('\\')) return s
  return fromUtf8(goUnquoteBytes(s))
}

/** `goUnquote` to bytes: a name stored with `\x` escapes may not be valid UTF-8. */
export function goUnquoteBytes (s: string): Uint8Array {
  const bytes: number[] = []
  const pushStr = (t: string): void => { for (const b of utf8(t)) bytes.push(b) }
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string
    if (ch !== '\\') {
      const cp = s.codePointAt(i) as number
      const t = String.fromCodePoint(cp)
      pushStr(t)
      i += t.length - 1
      continue
    }
    const e = s[++i]
    switch (e) {
      case 'a': bytes.push(7); break
      case 'b': bytes.push(8); break
      case 'f': bytes.push(12); break
      case 'n': bytes.push(10); break
      case 'r': bytes.push(13); break
      case 't': bytes.push(9); break
      case 'v': bytes.push(11); break
      case '\\': bytes.push(0x5c); break
      case '"': bytes.push(0x22); break
      case '\'': bytes.push(0x27); break
      case 'x': bytes.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; break
      case 'u': pushStr(String.fromCodePoint(parseInt(s.slice(i + 1, i + 5), 16))); i += 4; break
      case 'U': pushStr(String.fromCodePoint(parseInt(s.slice(i + 1, i + 9), 16))); i += 8; break
      default:
        if (e !== undefined && e >= '0' && e <= '7') { bytes.push(parseInt(s.slice(i, i + 3), 8) & 0xff); i += 2 } else pushStr('\\' + (e ?? ''))
    }
  }
  return new Uint8Array(bytes)
}

/**
 * A restic timestamp. restic stores nanoseconds; JS Date keeps milliseconds, so the exact text
 * is kept and parsed on demand.
 */
export function formatTime (epochNs: bigint, offsetMinutes = 0): string {
  const ms = epochNs / 1_000_000n
  const nanos = Number(((epochNs % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n)
  const local = new Date(Number(ms) + offsetMinutes * 60_000 - (Number(ms) % 1000 + 1000) % 1000)
  const base = local.toISOString().slice(0, 19)
  let frac = ''
  if (nanos !== 0) frac = '.' + nanos.toString().padStart(9, '0').replace(/0+$/, '')
  let zone = 'Z'
  if (offsetMinutes !== 0) {
    const a = Math.abs(offsetMinutes)
    zone = (offsetMinutes < 0 ? '-' : '+') + String(Math.floor(a / 60)).padStart(2, '0') + ':' + String(a % 60).padStart(2, '0')
  }
  return base + frac + zone
}

/** Parse an RFC 3339 time with up to 9 fraction digits into nanoseconds since the epoch. */
export function parseTime (s: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s)
  if (m === null) throw new RangeError(`invalid time "${s}"`)
  const ms = Date.parse((m[1] as string) + 'Z')
  let offset = 0
  const zone = m[3] as string
  if (zone !== 'Z') offset = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)))
  const nanos = BigInt((m[2] ?? '').padEnd(9, '0'))
  return (BigInt(ms) - BigInt(offset) * 60_000n) * 1_000_000n + nanos
}

export function timeToDate (s: string): Date {
  return new Date(Number(parseTime(s) / 1_000_000n))
}
