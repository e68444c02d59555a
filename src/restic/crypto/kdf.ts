/** scrypt key derivation for key files (hash-wasm, WASM; runs in Node, pages and workers). */
import { scrypt } from 'hash-wasm'

export interface ScryptParams { N: number, r: number, p: number }

/** restic's N (largest power of two within its 60 MiB budget) and r; p is calibrated. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 32768, r: 8, p: 1 }
/**
 * New keys of repositories on public storage (IPFS): anyone who knows the name can download
 * `keys/` and guess passwords offline, for as long as they like, so each guess must cost more
 * than restic's defaults make it. N=2^17, r=8, p=1 takes 128 MiB and about 4× the work of
 * restic's N=2^15 (which restic lowers further on a slow or busy machine: it calibrates to 500 ms,
 * and picked N=2^13 on a loaded test machine). Memory × time per guess is about 16× that of
 * N=2^15, p=1; it is also OWASP's recommended minimum for scrypt. It is fixed, not calibrated:
 * the key is opened on every device (a phone's browser included, where 2^18 = 256 MiB of
 * WebAssembly memory may fail), and a calibration on a fast or a busy machine would pick for all
 * of them. restic reads N, r and p from the key file, so restic 0.14 opens these keys.
 */
export const PUBLIC_STORAGE_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 }

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
