/**
 * Names that are not valid UTF-8, as restic 0.14 (Go) handles them. Linux file names are bytes; Go
 * keeps them as such, and two encoders meet them:
 *
 * - `strconv.Quote` (restic stores node names quoted) writes each invalid byte as `\xNN`;
 * - `encoding/json` (symlink targets, `restic ls --json`) writes each invalid byte as U+FFFD.
 *
 * Both decode with `utf8.DecodeRune`, which takes ONE byte per invalid sequence (a truncated
 * `E0 A4` is two errors), unlike the WHATWG decoder (`TextDecoder`), which takes the maximal
 * subpart (one error).
 */
import { goQuote } from './go-json.js'

const strict = new TextDecoder('utf-8', { fatal: true })

/** True when `bytes` is valid UTF-8. */
export function isValidUtf8 (bytes: Uint8Array): boolean {
  try { strict.decode(bytes); return true } catch { return false }
}

/**
 * Go's `utf8.DecodeRune`: the code point at `i` and its length, or `undefined` for an invalid byte
 * (overlong forms, surrogates, code points above U+10FFFF and truncated sequences are invalid).
 */
function decodeRune (b: Uint8Array, i: number): { cp: number, size: number } | undefined {
  const b0 = b[i] as number
  if (b0 < 0x80) return { cp: b0, size: 1 }
  const cont = (k: number, lo = 0x80, hi = 0xbf): number | undefined => {
    const x = b[i + k]
    return x !== undefined && x >= lo && x <= hi ? x & 0x3f : undefined
  }
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1)
    return c1 === undefined ? undefined : { cp: ((b0 & 0x1f) << 6) | c1, size: 2 }
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1, b0 === 0xe0 ? 0xa0 : 0x80, b0 === 0xed ? 0x9f : 0xbf)
    const c2 = cont(2)
    return c1 === undefined || c2 === undefined ? undefined : { cp: ((b0 & 0x0f) << 12) | (c1 << 6) | c2, size: 3 }
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1, b0 === 0xf0 ? 0x90 : 0x80, b0 === 0xf4 ? 0x8f : 0xbf)
    const c2 = cont(2)
    const c3 = cont(3)
    return c1 === undefined || c2 === undefined || c3 === undefined ? undefined : { cp: ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, size: 4 }
  }
  return undefined
}

/** Go's view of the bytes as text: valid runes as they are, each invalid byte as U+FFFD. */
export function goLossyString (bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length;) {
    const r = decodeRune(bytes, i)
    if (r === undefined) { out += '\ufffd'; i++ } else { out += String.fromCodePoint(r.cp); i += r.size }
  }
  return out
}

/** `strconv.Quote` of a byte string, without the quotes: as `goQuote`, each invalid byte as `\xNN`. */
export function goQuoteBytes (bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length;) {
    const r = decodeRune(bytes, i)
    if (r === undefined) {
      out += '\\x' + (bytes[i] as number).toString(16).padStart(2, '0')
      i++
    } else {
      out += goQuote(String.fromCodePoint(r.cp))
      i += r.size
    }
  }
  return out
}
