/**
 * The restic engine in a page, for bench/restic/suite.ts: back up a generated stream (random or
 * text-like, identical to the bytes the suite writes for real restic, generated in a worker) into a
 * repository that drops pack bytes (timed), then into one that keeps them as Blobs, and restore
 * that into a sink that only counts bytes (timed).
 */
import { MemoryBackend, Repository, backup, findSnapshot, restore } from '../../../src/restic/index.js'
import type { BackupSource, FileInfo, FileType, Handle, RestoreSink, SourceEntry } from '../../../src/restic/index.js'
import { createResticPool } from '../../../src/workers/restic-pool.js'
import { generate } from './generate.js'

const MiB = 1024 * 1024
/**
 * The data, generated in a worker (as a file is read off the page's thread) and streamed here one
 * MiB at a time, at most 4 pieces ahead.
 */
async function * fromWorker (kind: 'random' | 'text', mib: number): AsyncGenerator<Uint8Array> {
  const worker = new Worker(new URL('./source-worker.ts', import.meta.url), { type: 'module' })
  const queue: Array<Uint8Array | null> = []
  let wake: (() => void) | undefined
  worker.onmessage = (e: MessageEvent<Uint8Array | null>) => { queue.push(e.data); wake?.() }
  worker.postMessage({ kind, mib, ahead: 4 })
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>(resolve => { wake = resolve })
      const piece = queue.shift()
      if (piece === null || piece === undefined) return
      worker.postMessage('more')
      yield piece
    }
  } finally {
    worker.terminate()
  }
}

class GeneratedSource implements BackupSource {
  readonly paths = ['/bench']
  constructor (readonly kind: 'random' | 'text', readonly mib: number) {}
  async list (dir: string[]): Promise<SourceEntry[]> {
    if (dir.length > 0) return []
    return [{ name: 'data.bin', type: 'file', mode: 0o644, mtimeNs: 1_700_000_000_000_000_000n, size: this.mib * MiB }]
  }

  open (): AsyncIterable<Uint8Array> { return fromWorker(this.kind, this.mib) }
}

/** Small files in memory, packs in the origin private file system (like restic's local backend on disk). */
class OpfsBackend extends MemoryBackend {
  readonly #dir: Promise<FileSystemDirectoryHandle>
  readonly #packs = new Map<string, number>()
  constructor (name: string) {
    super(`opfs:${name}`)
    this.#dir = navigator.storage.getDirectory().then(async root => await root.getDirectoryHandle(name, { create: true }))
  }

  override async list (type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    if (type !== 'data') return await super.list(type)
    return [...this.#packs].map(([name, size]) => ({ name, size }))
  }

  override async stat (h: Handle): Promise<FileInfo> {
    const size = this.#packs.get(h.name)
    return h.type === 'data' && size !== undefined ? { name: h.name, size } : await super.stat(h)
  }

  override async read (h: Handle, range?: { offset: number, length?: number | undefined }): Promise<Uint8Array> {
    if (h.type !== 'data') return await super.read(h, range)
    const file = await (await (await this.#dir).getFileHandle(h.name)).getFile()
    const off = range?.offset ?? 0
    return new Uint8Array(await file.slice(off, range?.length === undefined ? undefined : off + range.length).arrayBuffer())
  }

  override async write (h: Handle, data: Uint8Array): Promise<void> {
    if (h.type !== 'data') { await super.write(h, data); return }
    const w = await (await (await this.#dir).getFileHandle(h.name, { create: true })).createWritable()
    await w.write(data as Uint8Array<ArrayBuffer>)
    await w.close()
    this.#packs.set(h.name, data.length)
  }

  override async remove (h: Handle): Promise<void> {
    if (h.type !== 'data') { await super.remove(h); return }
    await (await this.#dir).removeEntry(h.name)
    this.#packs.delete(h.name)
  }

  async destroy (): Promise<void> {
    await (await navigator.storage.getDirectory()).removeEntry(this.location.slice(5), { recursive: true })
  }
}

/** Small files in memory, packs as Blobs. */
class BlobBackend extends MemoryBackend {
  readonly #packs = new Map<string, Blob>()
  override async list (type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    if (type !== 'data') return await super.list(type)
    return [...this.#packs].map(([name, b]) => ({ name, size: b.size }))
  }

  override async stat (h: Handle): Promise<FileInfo> {
    const b = this.#packs.get(h.name)
    return h.type === 'data' && b !== undefined ? { name: h.name, size: b.size } : await super.stat(h)
  }

  override async read (h: Handle, range?: { offset: number, length?: number | undefined }): Promise<Uint8Array> {
    if (h.type !== 'data') return await super.read(h, range)
    const b = this.#packs.get(h.name)
    if (b === undefined) return await super.read(h, range) // NotFoundError
    const off = range?.offset ?? 0
    return new Uint8Array(await b.slice(off, range?.length === undefined ? undefined : off + range.length).arrayBuffer())
  }

  override async write (h: Handle, data: Uint8Array): Promise<void> {
    if (h.type !== 'data') await super.write(h, data)
    else this.#packs.set(h.name, new Blob([data as Uint8Array<ArrayBuffer>]))
  }

  override async remove (h: Handle): Promise<void> {
    if (h.type !== 'data') await super.remove(h)
    else this.#packs.delete(h.name)
  }

  async destroy (): Promise<void> { this.#packs.clear() }
}

/** Keeps only the sizes of packs (backup only). */
class DiscardBackend extends MemoryBackend {
  readonly #packs = new Map<string, number>()
  override async list (type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    if (type !== 'data') return await super.list(type)
    return [...this.#packs].map(([name, size]) => ({ name, size }))
  }

  override async write (h: Handle, data: Uint8Array): Promise<void> {
    if (h.type !== 'data') await super.write(h, data)
    else this.#packs.set(h.name, data.length)
  }

  async destroy (): Promise<void> {}
}

class CountingSink implements RestoreSink {
  bytes = 0
  async mkdir (): Promise<void> {}
  async writeFile (_p: string[], _n: unknown, content: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const c of content) this.bytes += c.length
  }

  async symlink (): Promise<void> {}
  async setMetadata (): Promise<void> {}
}

export interface RunRequest {
  kind: 'random' | 'text'
  mib: number
  /** Worker pool size; 0 for none (the page's main thread does everything). */
  workers: number
  /**
   * The timed backup always goes to a backend that keeps no pack bytes. Then, for the restore, a
   * second (untimed) backup keeps packs as Blobs (`blob`, default: held by the browser process) or
   * OPFS files (`opfs`); `discard` skips the restore.
   */
  backend?: 'blob' | 'opfs' | 'discard' | undefined
}
export interface RunResult { backupS: number, restoreS: number, generateS: number, restoredBytes: number, bytesAdded: number, peakMainHeapMiB: number, workers: boolean }

async function run (req: RunRequest): Promise<RunResult> {
  const heap = (): number => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0
  let peak = heap()
  const timer = setInterval(() => { peak = Math.max(peak, heap()) }, 50)
  // Generating alone, for reference (it runs in a worker during the backup).
  let t = performance.now()
  for await (const piece of fromWorker(req.kind, req.mib)) void piece
  const generateS = (performance.now() - t) / 1000
  const name = `bench-${req.kind}-${Date.now()}`
  const pool = req.workers > 0 ? createResticPool({ size: req.workers }) : undefined
  const opts = { hostname: 'bench', pool }
  try {
    // The timed backup keeps no pack bytes (the engine alone, as restic's is timed on a local disk).
    const discard = await Repository.init(new DiscardBackend(name), { password: 'bench', scrypt: { N: 1024, r: 8, p: 1 } })
    t = performance.now()
    const s = await backup(discard, new GeneratedSource(req.kind, req.mib), opts)
    const backupS = (performance.now() - t) / 1000
    if (req.backend === 'discard') return { backupS, restoreS: 0, generateS, restoredBytes: 0, bytesAdded: s.bytesAdded, peakMainHeapMiB: Math.max(peak, heap()) / MiB, workers: pool?.workers ?? false }
    // Then a repository to restore from (packs as Blobs or OPFS files), and the timed restore.
    const backend = req.backend === 'opfs' ? new OpfsBackend(name) : new BlobBackend(name)
    try {
      const repo = await Repository.init(backend, { password: 'bench', scrypt: { N: 1024, r: 8, p: 1 } })
      await backup(repo, new GeneratedSource(req.kind, req.mib), opts)
      const sink = new CountingSink()
      t = performance.now()
      await restore(repo, await findSnapshot(repo, 'latest'), sink, { pool })
      const restoreS = (performance.now() - t) / 1000
      return { backupS, restoreS, generateS, restoredBytes: sink.bytes, bytesAdded: s.bytesAdded, peakMainHeapMiB: Math.max(peak, heap()) / MiB, workers: pool?.workers ?? false }
    } finally {
      await backend.destroy()
    }
  } finally {
    clearInterval(timer)
    pool?.close()
  }
}

/** Bytes the generator yields (a check of the generator alone). */
async function generatedBytes (kind: 'random' | 'text', mib: number): Promise<number> {
  let n = 0
  for await (const piece of fromWorker(kind, mib)) n += piece.length
  return n
}

/** Per-stage cost (ms per MiB) of the blob work on this thread. */
async function stages (n: number): Promise<Record<string, number>> {
  const { Key } = await import('../../../src/restic/crypto/key.js')
  const { compress } = await import('../../../src/restic/util/zstd.js')
  const { sha256 } = await import('../../../src/restic/util/bytes.js')
  const { poly1305 } = await import('@noble/ciphers/_poly1305.js')
  const key = Key.random()
  const blobs: Uint8Array[] = []
  for await (const b of generate('random', n)) blobs.push(b.slice())
  await compress(blobs[0] as Uint8Array)
  const out: Record<string, number> = {}
  const time = async (name: string, f: (b: Uint8Array) => unknown): Promise<void> => {
    const t = performance.now()
    for (const b of blobs) await f(b)
    out[name] = +((performance.now() - t) / n).toFixed(2)
  }
  await time('sha256', sha256)
  await time('zstd', compress)
  await time('seal', async b => await key.seal(b))
  await time('poly1305', b => poly1305(b, new Uint8Array(32).fill(3)))
  return out
}

/** SHA-256 of each generated piece (to check the page's data against the file restic backs up). */
async function pieceHashes (kind: 'random' | 'text', mib: number): Promise<string[]> {
  const out: string[] = []
  for await (const piece of fromWorker(kind, mib)) out.push(Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', piece as Uint8Array<ArrayBuffer>)), b => b.toString(16).padStart(2, '0')).join(''))
  return out
}

(globalThis as unknown as { resticBench: unknown }).resticBench = { run, stages, pieceHashes, generatedBytes, hardwareConcurrency: navigator.hardwareConcurrency }
