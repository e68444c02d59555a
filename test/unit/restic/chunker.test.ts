import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Chunker } from '../../../src/restic/chunker/chunker.js'
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
})
