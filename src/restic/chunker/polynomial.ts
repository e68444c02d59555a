/**
 * Polynomials over GF(2) for the chunker (restic/chunker `Pol`), as BigInt. Only used to build
 * tables and to generate or validate a repository's polynomial, so speed does not matter here.
 */
import { randomBytes } from '../util/bytes.js'

export function deg (x: bigint): number {
  return x === 0n ? -1 : x.toString(2).length - 1
}

export function polMod (x: bigint, p: bigint): bigint {
  const dp = deg(p)
  let d = deg(x)
  while (d >= dp) {
    x ^= p << BigInt(d - dp)
    d = deg(x)
  }
  return x
}

function polMul (a: bigint, b: bigint): bigint {
  let r = 0n
  let i = 0n
  while (b > 0n) {
    if ((b & 1n) === 1n) r ^= a << i
    b >>= 1n
    i++
  }
  return r
}

export function polMulMod (a: bigint, b: bigint, p: bigint): bigint {
  return polMod(polMul(a, b), p)
}

function polGcd (a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, polMod(a, b)]
  return a
}

/** (x^(2^i) - x) mod g */
function qp (i: number, g: bigint): bigint {
  let res = 2n
  for (let k = 0; k < i; k++) res = polMulMod(res, res, g)
  return polMod(res ^ 2n, g)
}

/** Ben-Or irreducibility test, as restic/chunker `Irreducible`. */
export function isIrreducible (p: bigint): boolean {
  const d = deg(p)
  for (let i = 1; i <= Math.floor(d / 2); i++) {
    if (polGcd(p, qp(i, p)) !== 1n) return false
  }
  return true
}

/** A random irreducible polynomial of degree 53, as restic `chunker.RandomPolynomial`. */
export function randomPolynomial (): bigint {
  for (let i = 0; i < 1_000_000; i++) {
    const b = randomBytes(8)
    let f = 0n
    for (let j = 7; j >= 0; j--) f = (f << 8n) | BigInt(b[j] as number)
    f &= (1n << 54n) - 1n
    f |= (1n << 53n) | 1n
    if (isIrreducible(f)) return f
  }
  throw new Error('unable to find a new random irreducible polynomial')
}

export function parsePolynomial (hex: string): bigint {
  if (!/^(0x)?[0-9a-fA-F]{1,16}$/.test(hex)) throw new RangeError(`invalid chunker polynomial "${hex}"`)
  return BigInt('0x' + hex.replace(/^0x/, ''))
}

export function formatPolynomial (p: bigint): string {
  return p.toString(16)
}
