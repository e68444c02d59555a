/**
 * Kubo's test data generator (`test/cli/testutils` `DeterministicRandomReader(size, seed)`):
 * the ChaCha20 key stream (IETF, zero nonce, counter from 0) under the key sha256(seed).
 * Used to rebuild the exact inputs behind Kubo's published CIDs.
 */
import { createHash } from 'node:crypto'
import { chacha20 } from '@noble/ciphers/chacha.js'

const PIECE = 1 << 20 // a multiple of the 64-byte ChaCha block, so the counter is offset / 64

export async function * kuboRandom (size: number, seed: string): AsyncGenerator<Uint8Array> {
  const key = createHash('sha256').update(seed).digest()
  const nonce = new Uint8Array(12)
  const zeros = new Uint8Array(PIECE)
  for (let offset = 0; offset < size; offset += PIECE) {
    const n = Math.min(PIECE, size - offset)
    yield chacha20(key, nonce, n === PIECE ? zeros : zeros.subarray(0, n), undefined, offset / 64)
  }
}

/** Kubo's `AlphabetEasy` ("0" appears twice: 39 runes). */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz01234567890-_'

/**
 * Kubo's `createDeterministicFiles`: `count` file names drawn from the 1 MiB stream of `seed`
 * (`nameLen` characters each, the last one `lastNameLen`), every file holding "x".
 */
export async function kuboFileNames (count: number, nameLen: number, lastNameLen: number, seed: string): Promise<string[]> {
  const parts: Uint8Array[] = []
  for await (const p of kuboRandom(1 << 20, seed)) parts.push(p)
  const stream = parts[0] as Uint8Array
  const names: string[] = []
  let at = 0
  for (let i = 0; i < count; i++) {
    const len = i === count - 1 ? lastNameLen : nameLen
    let name = ''
    for (const b of stream.subarray(at, at + len)) name += ALPHABET[b % ALPHABET.length]
    at += len
    names.push(name)
  }
  return names
}
