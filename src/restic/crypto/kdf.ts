/** scrypt key derivation for key files (hash-wasm, WASM; runs in Node, pages and workers). */
import { scrypt } from 'hash-wasm'

export interface ScryptParams { N: number, r: number, p: number }

/** restic's N (largest power of two within its 60 MiB budget) and r; p is calibrated. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 32768, r: 8, p: 1 }
/** restic calibrates new keys to take about this long to derive. */
const CALIBRATION_TARGET_MS = 500

/**
 * Parameters for a new key, as restic's `Calibrate(500 ms, 60 MiB)`: N=32768, r=8, and p as large
 * as fits into half a second on this machine (at least 1).
 */
export async function calibrateScrypt (): Promise<ScryptParams> {
  const t0 = performance.now()
  await deriveKey('calibration', new Uint8Array(64), DEFAULT_SCRYPT)
  const ms = Math.max(1, performance.now() - t0)
  return { ...DEFAULT_SCRYPT, p: Math.max(1, Math.min(16, Math.floor(CALIBRATION_TARGET_MS / ms))) }
}

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
