import { readFileSync } from 'node:fs'
import type { ProfileName } from '../../../src/ipfs/add/index.js'

export interface Vectors {
  files_literal: Array<{ id: string, content: string, profile: ProfileName, cid: string }>
  files_zero_filled: Array<{ id: string, length: number, profile: ProfileName, cid: string }>
  directories: Array<{ id: string, tree: Record<string, string>, profile: ProfileName, cid: string }>
}

export const vectors = JSON.parse(readFileSync(new URL('../../fixtures/files/unixfs-cids.json', import.meta.url), 'utf8')) as Vectors

const ZEROS = new Uint8Array(1 << 20)

/** `length` zero bytes, streamed in 1 MiB pieces (one shared buffer, so memory stays flat). */
export async function * zeros (length: number): AsyncGenerator<Uint8Array> {
  let left = length
  while (left > 0) {
    const n = Math.min(left, ZEROS.byteLength)
    yield n === ZEROS.byteLength ? ZEROS : ZEROS.subarray(0, n)
    left -= n
  }
}

export function text (s: string): Uint8Array[] {
  return [new TextEncoder().encode(s)]
}
