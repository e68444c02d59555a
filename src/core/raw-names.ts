/**
 * File names that are not valid UTF-8, carried losslessly in a JS string. A Linux file name is
 * bytes; restic keeps such names byte for byte (`\xNN` in the tree) and restores the original
 * bytes. A JS string cannot hold raw bytes, so each byte of an invalid sequence becomes a lone
 * low surrogate U+DC80 + (byte − 0x80) ("surrogateescape", as Python does for file names). Valid
 * UTF-8 never encodes a surrogate, so the mapping is one-to-one and two names never collide;
 * `rawNameBytes` gives the original bytes back for the file system.
 */

const ESC_BASE = 0xdc00

/** A name's bytes as a lossless string: valid UTF-8 decodes as usual, every other byte is escaped. */
export function rawNameSegment (bytes: Uint8Array): string {
  let out = ''
  let i = 0
  while (i < bytes.length) {
    const size = validSequence(bytes, i)
    if (size === 0) {
      out += String.fromCharCode(ESC_BASE + (bytes[i] as number))
      i++
    } else {
      out += new TextDecoder().decode(bytes.subarray(i, i + size))
      i += size
    }
  }
  return out
}

/** True when `s` holds escaped bytes (it came from `rawNameSegment` of a name that is not UTF-8). */
export function hasRawBytes (s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && isHigh(s.charCodeAt(i - 1)))) return true
  }
  return false
}

/** The bytes a segment stands for: UTF-8, with each escaped byte written back as itself. */
export function rawNameBytes (s: string): Uint8Array {
  const out: number[] = []
  const enc = new TextEncoder()
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (isHigh(c) && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      for (const b of enc.encode(s.slice(i, i + 2))) out.push(b)
      i++
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      out.push(c - ESC_BASE)
    } else {
      for (const b of enc.encode(s[i] as string)) out.push(b)
    }
  }
  return new Uint8Array(out)
}

function isHigh (c: number): boolean { return c >= 0xd800 && c <= 0xdbff }
function isLow (c: number): boolean { return c >= 0xdc00 && c <= 0xdfff }

/** Length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none (Go's rule: one byte per error). */
function validSequence (b: Uint8Array, i: number): number {
  const b0 = b[i] as number
  if (b0 < 0x80) return 1
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + k]
    return x !== undefined && x >= lo && x <= hi
  }
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0
  return 0
}
