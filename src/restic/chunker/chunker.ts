/**
 * restic's content-defined chunker (restic/chunker v0.4): a Rabin fingerprint over a 64-byte
 * window, cut where the low 20 bits are zero; chunks are 512 KiB to 8 MiB.
 *
 * The 53-bit digest is kept as two int32 halves (`hi`: bits 32-52, `lo`: bits 0-31) so the hot
 * loop stays in small integers. Hashing starts 64 bytes before MinSize with a zero digest, which
 * equals restic's digest (seeded with a 0x01 byte) at every position where a cut is tested.
 */
import { deg, polMod } from './polynomial.js'
import { wasmScanner } from './scan-wasm.js'
import type { WasmScanner } from './scan-wasm.js'

export const WINDOW_SIZE = 64
export const MIN_SIZE = 512 * 1024
export const MAX_SIZE = 8 * 1024 * 1024
const SPLIT_MASK = (1 << 20) - 1

interface Tables { outHi: Int32Array, outLo: Int32Array, modHi: Int32Array, modLo: Int32Array }

const cache = new Map<bigint, Tables>()

let useWasm = true
/** Use the WebAssembly loop when available (default), or always the JS loop (tests, benchmarks). */
export function setChunkerWasm (on: boolean): void { useWasm = on }

function appendByte (h: bigint, b: number, pol: bigint): bigint {
  return polMod((h << 8n) | BigInt(b), pol)
}

function tablesFor (pol: bigint): Tables {
  const hit = cache.get(pol)
  if (hit !== undefined) return hit
  if (deg(pol) !== 53) throw new RangeError(`chunker polynomial must have degree 53, got ${deg(pol)}`)
  const t: Tables = { outHi: new Int32Array(256), outLo: new Int32Array(256), modHi: new Int32Array(256), modLo: new Int32Array(256) }
  const k = BigInt(deg(pol))
  for (let b = 0; b < 256; b++) {
    let h = appendByte(0n, b, pol)
    for (let i = 0; i < WINDOW_SIZE - 1; i++) h = appendByte(h, 0, pol)
    t.outHi[b] = Number(h >> 32n)
    t.outLo[b] = Number(h & 0xffffffffn) | 0
    const m = polMod(BigInt(b) << k, pol) | (BigInt(b) << k)
    t.modHi[b] = Number(m >> 32n) | 0
    t.modLo[b] = Number(m & 0xffffffffn) | 0
  }
  cache.set(pol, t)
  return t
}

/** Splits byte streams into chunks; one instance per polynomial, reusable for many files. */
export class Chunker {
  readonly #t: Tables
  /** The WebAssembly loop, whose memory holds `#store` (created with the first chunk stream). */
  #wasm: WasmScanner | null | undefined
  /**
   * Room for two chunks: the chunk being scanned starts at `#base`, and cutting one only moves
   * `#base` on; the bytes are moved back to the start only when the end is near.
   */
  #store: Uint8Array = new Uint8Array(0)
  #base = 0
  /** `#store` from `#base`: the current chunk's bytes (`#n` of them) at 0. */
  #buf: Uint8Array = new Uint8Array(0)
  #n = 0
  #pos = 0
  #hi = 0
  #lo = 0

  constructor (pol: bigint) { this.#t = tablesFor(pol) }

  /** Scan the buffered bytes; returns the chunk length if a cut point was found, else -1. */
  #scan (): number {
    const { outHi, outLo, modHi, modLo } = this.#t
    const buf = this.#buf
    const n = this.#n
    const first = MIN_SIZE - WINDOW_SIZE
    let hi = this.#hi
    let lo = this.#lo
    let p = Math.max(this.#pos, first)
    // The first 64 hashed bytes slide zeros out of the window.
    for (; p < n && p < MIN_SIZE; p++) {
      const idx = hi >>> 13
      hi = ((hi << 8) | (lo >>> 24)) ^ (modHi[idx] as number)
      lo = ((lo << 8) | (buf[p] as number)) ^ (modLo[idx] as number)
    }
    if (p === MIN_SIZE && (lo & SPLIT_MASK) === 0) { this.#pos = p; return p }
    const w = useWasm && p >= MIN_SIZE && n - p >= 4096 && this.#wasm !== undefined && this.#wasm !== null && this.#wasm.data === this.#store ? this.#wasm : null
    if (w !== null) {
      // The same loop in WebAssembly, over the buffer in its memory.
      const end = Math.min(n, MAX_SIZE)
      const base = this.#base
      w.tables(this.#t, outHi, outLo, modHi, modLo)
      w.setDigest(hi, lo)
      const r = w.scan(base + p, base + end);
      [this.#hi, this.#lo] = w.digest()
      if (r > 0) return r - base
      if (end >= MAX_SIZE) return MAX_SIZE
      this.#pos = end
      return -1
    }
    for (; p < n; p++) {
      const o = buf[p - WINDOW_SIZE] as number
      hi ^= outHi[o] as number
      lo ^= outLo[o] as number
      const idx = hi >>> 13
      hi = ((hi << 8) | (lo >>> 24)) ^ (modHi[idx] as number)
      lo = ((lo << 8) | (buf[p] as number)) ^ (modLo[idx] as number)
      if ((lo & SPLIT_MASK) === 0 || p + 1 >= MAX_SIZE) {
        this.#hi = hi; this.#lo = lo
        return p + 1
      }
    }
    this.#hi = hi; this.#lo = lo; this.#pos = p
    return -1
  }

  #take (len: number): Uint8Array {
    const chunk = this.#buf.slice(0, len)
    this.#base += len
    this.#buf = this.#store.subarray(this.#base)
    this.#n -= len
    this.#pos = 0; this.#hi = 0; this.#lo = 0
    return chunk
  }

  /** Make room for `want` more bytes after the `#n` buffered ones (at most up to MAX_SIZE). */
  #room (want: number): void {
    const need = Math.min(MAX_SIZE, this.#n + want)
    if (this.#base + need <= this.#store.length) return
    if (this.#base > 0) {
      this.#store.copyWithin(0, this.#base, this.#base + this.#n)
      this.#base = 0
    }
    if (need > this.#store.length) {
      const grown = new Uint8Array(Math.min(2 * MAX_SIZE, Math.max(2 * this.#store.length, need)))
      grown.set(this.#store.subarray(0, this.#n))
      this.#store = grown
    }
    this.#buf = this.#store.subarray(this.#base)
  }

  /** Chunk one file given as a stream of byte pieces. Every file starts a new chunk. */
  async * chunks (input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    this.#n = 0; this.#pos = 0; this.#hi = 0; this.#lo = 0; this.#base = 0
    if (this.#wasm === undefined) {
      this.#wasm = wasmScanner(2 * MAX_SIZE)
      if (this.#wasm !== null) this.#store = this.#wasm.data
    }
    this.#buf = this.#store
    for await (const piece of input) {
      let off = 0
      while (off < piece.length) {
        this.#room(piece.length - off)
        const take = Math.min(piece.length - off, MAX_SIZE - this.#n, this.#buf.length - this.#n)
        this.#buf.set(piece.subarray(off, off + take), this.#n)
        this.#n += take
        off += take
        for (let cut = this.#scan(); cut > 0; cut = this.#scan()) yield this.#take(cut)
      }
    }
    if (this.#n > 0) yield this.#take(this.#n)
  }

  /** Cut points (chunk lengths) of an in-memory buffer; for tests and tools. */
  async lengths (data: Uint8Array): Promise<number[]> {
    const out: number[] = []
    for await (const c of this.chunks([data])) out.push(c.length)
    return out
  }
}
