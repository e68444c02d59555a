import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Chunker, setChunkerWasm } from '../../../src/restic/chunker/chunker.js'
import { isIrreducible, parsePolynomial, randomPolynomial, deg } from '../../../src/restic/chunker/polynomial.js'
import { json } from './helpers.js'

interface Vec { polynomial: string, input_sha256: string, avg_bits_20: Array<{ offset: number, length: number, sha256: string }> }

function sha256StreamInput (): Uint8Array {
  const out = new Uint8Array(16 * 1024 * 1024)
  for (let i = 0, o = 0; o < out.length; i++) {
    const h = createHash('sha256').update(`restic-chunker-vector-${i}`).digest()
    out.set(h.subarray(0, Math.min(32, out.length - o)), o)
    o += 32
  }
  return out
}

describe('restic chunker', () => {
  it('reproduces the sha256-stream vector (boundaries real restic chose)', async () => {
    const vec = json<Vec>('chunker_vectors_sha256stream.json')
    const input = sha256StreamInput()
    expect(createHash('sha256').update(input).digest('hex')).toBe(vec.input_sha256)
    const chunker = new Chunker(parsePolynomial(vec.polynomial))
    // Feed in odd-sized pieces to exercise the streaming path.
    const pieces: Uint8Array[] = []
    for (let o = 0; o < input.length; o += 777_777) pieces.push(input.subarray(o, o + 777_777))
    const got: Array<{ length: number, sha256: string }> = []
    for await (const c of chunker.chunks(pieces)) got.push({ length: c.length, sha256: createHash('sha256').update(c).digest('hex') })
    expect(got).toEqual(vec.avg_bits_20.map(c => ({ length: c.length, sha256: c.sha256 })))
  })

  it('cuts 2 MiB of zeros into four minimum-size chunks, and keeps small inputs whole', async () => {
    const chunker = new Chunker(parsePolynomial('3da3358b4dc173'))
    expect(await chunker.lengths(new Uint8Array(2 * 1024 * 1024))).toEqual([524288, 524288, 524288, 524288])
    expect(await chunker.lengths(new Uint8Array(1000))).toEqual([1000])
    expect(await chunker.lengths(new Uint8Array(0))).toEqual([])
  })

  it('never exceeds the maximum chunk size', async () => {
    // A constant non-zero byte never produces a cut, so chunks are forced at 8 MiB.
    const chunker = new Chunker(parsePolynomial('3da3358b4dc173'))
    const lengths = await chunker.lengths(new Uint8Array(17 * 1024 * 1024).fill(0x55))
    expect(Math.max(...lengths)).toBeLessThanOrEqual(8 * 1024 * 1024)
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(17 * 1024 * 1024)
  })

  it('validates and generates irreducible degree-53 polynomials', () => {
    expect(isIrreducible(parsePolynomial('3da3358b4dc173'))).toBe(true)
    expect(isIrreducible(parsePolynomial('328434635acf49'))).toBe(true)
    expect(isIrreducible(parsePolynomial('3da3358b4dc172'))).toBe(false) // divisible by x
    const p = randomPolynomial()
    expect(deg(p)).toBe(53)
    expect(isIrreducible(p)).toBe(true)
  })

  it('cuts the same with the WebAssembly loop as with the JS loop (random, repetitive, any piece sizes)', async () => {
    const pattern = randomBytes(64)
    const repetitive = new Uint8Array(20 * 1024 * 1024)
    for (let i = 0; i < repetitive.length; i += 64) repetitive.set(pattern, i)
    const inputs = [randomBytes(24 * 1024 * 1024), repetitive]
    for (const input of inputs) {
      const pieces = (sizes: number[]): Uint8Array[] => {
        const out: Uint8Array[] = []
        for (let o = 0, i = 0; o < input.length; i++) { const n = sizes[i % sizes.length] as number; out.push(input.subarray(o, o + n)); o += n }
        return out
      }
      const cuts = async (wasm: boolean, sizes: number[]): Promise<number[]> => {
        setChunkerWasm(wasm)
        try {
          const out: number[] = []
          for await (const c of new Chunker(0x3da3358b4dc173n).chunks(pieces(sizes))) out.push(c.length)
          return out
        } finally { setChunkerWasm(true) }
      }
      const reference = await cuts(false, [1 << 20])
      expect(await cuts(true, [1 << 20])).toEqual(reference)
      expect(await cuts(true, [4095, 70_000, 3 * (1 << 20) + 1, 100])).toEqual(reference)
    }
  })
})
