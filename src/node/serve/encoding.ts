/**
 * Content encoding for the static app server: which encoding a client accepts (Accept-Encoding,
 * q-values honoured), which files are worth compressing, how long each may be cached, and a cache
 * of compressed copies (keyed by path, size and mtime, so a rebuilt file is compressed again).
 */
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { brotliCompress, constants as zlib, gzip } from 'node:zlib'

export type Encoding = 'br' | 'gzip' | 'identity'

const brotli = promisify(brotliCompress)
const gzipAsync = promisify(gzip)

/** Text-like types that shrink; images and CARs are left alone. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.wasm', '.txt'])
/** Below this a compressed body saves less than its headers cost. */
const MIN_BYTES = 512
/** Compressed copies kept in memory at most (a build of the app is about 2.5 MB raw). */
const CACHE_MAX_BYTES = 64 * 1024 * 1024

/**
 * The best encoding the client accepts, brotli first. `identity` when the header is absent or
 * refuses both (`br;q=0, gzip;q=0`); `*` stands for any encoding not named.
 */
export function negotiateEncoding (acceptEncoding: string | undefined): Encoding {
  if (acceptEncoding === undefined || acceptEncoding.trim() === '') return 'identity'
  const q = new Map<string, number>()
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';')
    if (name === '') continue
    const qParam = params.map(p => p.trim()).find(p => p.startsWith('q='))
    const value = qParam === undefined ? 1 : Number(qParam.slice(2))
    q.set(name, Number.isFinite(value) ? value : 0)
  }
  const weight = (name: string): number => q.get(name) ?? q.get('*') ?? 0
  const br = weight('br')
  const gz = Math.max(weight('gzip'), q.get('x-gzip') ?? 0)
  if (br > 0 && br >= gz) return 'br'
  if (gz > 0) return 'gzip'
  return 'identity'
}

export function isCompressible (ext: string, size: number): boolean {
  return COMPRESSIBLE.has(ext) && size >= MIN_BYTES
}

/**
 * Vite names built assets `<name>-<8+ char hash>.<ext>` under `assets/`: their bytes never change
 * under that name, so browsers may keep them for a year without asking. Everything else (the
 * HTML, the service worker, the manifest, icons) must be revalidated on each use so a deploy shows.
 */
export function isImmutableAsset (relPath: string): boolean {
  return /^assets\/(?:.+\/)?[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(relPath)
}

export function cacheControlFor (relPath: string): string {
  return isImmutableAsset(relPath) ? 'public, max-age=31536000, immutable' : 'no-cache'
}

export interface CompressedCache {
  /** The file's bytes in this encoding (compressed once, then kept). */
  get: (file: string, size: number, mtimeMs: number, encoding: 'br' | 'gzip') => Promise<Uint8Array>
}

export function createCompressedCache (): CompressedCache {
  const entries = new Map<string, { promise: Promise<Uint8Array>, bytes: number }>()
  let total = 0
  return {
    async get (file, size, mtimeMs, encoding) {
      const key = `${encoding}\0${file}\0${size}\0${mtimeMs}`
      let entry = entries.get(key)
      if (entry === undefined) {
        const promise = readFile(file).then(async raw => encoding === 'br'
          ? await brotli(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.byteLength } })
          : await gzipAsync(raw, { level: 9 }))
        entry = { promise, bytes: 0 }
        entries.set(key, entry)
        const created = entry
        promise.then((out) => {
          created.bytes = out.byteLength
          total += out.byteLength
          // Oldest first: a long-running server with many rebuilds keeps only the recent copies.
          for (const [k, e] of entries) {
            if (total <= CACHE_MAX_BYTES) break
            if (e === created) continue
            entries.delete(k)
            total -= e.bytes
          }
        }, () => { entries.delete(key) })
      }
      return await entry.promise
    }
  }
}
