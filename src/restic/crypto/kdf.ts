/** scrypt key derivation for key files (hash-wasm, WASM; runs in Node, pages and workers). */
import { scrypt } from 'hash-wasm'

export interface ScryptParams { N: number, r: number, p: number }

/** What restic 0.14 picks for new keys on a typical machine (N from its 60 MiB budget, r=8, p tuned to ~0.5 s). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 32768, r: 8, p: 6 }

/** Parameter checks from simple-scrypt `Check`, which restic applies. */
export function validateScrypt ({ N, r, p }: ScryptParams): string | undefined {
  const max = 2 ** 31 - 1
  if (!Number.isInteger(N) || N <= 1 || N % 2 !== 0 || N > max) return `N=${N} must be an even number > 1`
  if (!Number.isInteger(r) || !Number.isInteger(p) || r < 1 || p < 1) return 'r and p must be >= 1'
  if (r * p >= 2 ** 30) return 'r*p too large'
  if (r > max / 128 / p || r > max / 256) return 'r too large'
  if (N > max / 128 / r) return 'N too large'
  return undefined
}

export async function deriveKey (password: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  return await scrypt({
    password,
    salt,
    costFactor: params.N,
    blockSize: params.r,
    parallelism: params.p,
    hashLength: 64,
    outputType: 'binary'
  })
}
