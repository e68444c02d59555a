import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { poly1305 as noble } from '@noble/ciphers/_poly1305.js'
import { poly1305, poly1305IsWasm } from '../../../src/restic/crypto/poly1305.js'
import { fromHex, toHex } from '../../../src/restic/util/bytes.js'

describe('Poly1305 (WebAssembly)', () => {
  it('runs as WebAssembly and matches the RFC 8439 vector', () => {
    expect(poly1305IsWasm()).toBe(true)
    const key = fromHex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b')
    const msg = new TextEncoder().encode('Cryptographic Forum Research Group')
    expect(toHex(poly1305(msg, key))).toBe('a8061dc1305136c6c22b8baf0c0127a9')
  })

  it('gives the same tags as @noble/ciphers for every length around the block and chunk sizes', () => {
    const lengths = [...Array.from({ length: 100 }, (_, i) => i), 65_519, 65_535, 65_536, 65_537, 1 << 20, (8 << 20) + 7]
    for (const n of lengths) {
      const msg = randomBytes(n)
      for (const key of [randomBytes(32), new Uint8Array(32).fill(0xff)]) {
        expect(toHex(poly1305(msg, key)), `length ${n}`).toBe(toHex(noble(msg, key)))
      }
    }
  })

  it('works on views into larger buffers', () => {
    const big = randomBytes(4096)
    const msg = big.subarray(13, 13 + 1000)
    const key = big.subarray(1500, 1532)
    expect(toHex(poly1305(msg, key))).toBe(toHex(noble(msg, key)))
  })
})
