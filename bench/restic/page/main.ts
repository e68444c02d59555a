/**
 * The restic engine in a page, for bench/restic/suite.ts. Phases (each with its own time and peak
 * main-thread heap; the suite samples the renderer's RSS and splits it by these phases):
 *   write:   the bench data (random or text-like, identical to the bytes the suite writes for real
 *            restic, generated in a worker) streamed into a file in the origin private file system,
 *            as restic's input sits in a file on disk (untimed);
 *   read:    that file read alone, as the backup reads it (the source's own limit, for reference);
 *   backup:  that file, read piece by piece like a picked file (`PickedSource`), backed up into a
 *            repository that drops pack bytes (timed: the engine alone);
 *   store:   the same backup into a repository whose packs are OPFS files (timed, reported apart);
 *   restore: that repository restored into a sink that only counts bytes (timed).
 */
import { MemoryBackend, Repository, backup, findSnapshot, restore } from '../../../src/restic/index.js'
import type { FileInfo, FileType, Handle, RestoreSink } from '../../../src/restic/index.js'
import { PickedSource } from '../../../src/platform/restic-source.js'
import { createResticPool } from '../../../src/workers/restic-pool.js'
import { generate } from './generate.js'

const MiB = 1024 * 1024
/**
 * The data, generated in a worker and streamed here one MiB at a time, at most 4 pieces ahead.
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

/** Streams the generated data into an OPFS file; returns it (a `File`, read lazily like a picked one). */
async function writeInput (dir: FileSystemDirectoryHandle, kind: 'random' | 'text', mib: number): Promise<File> {
  const handle = await dir.getFileHandle('data.bin', { create: true })
  const w = await handle.createWritable()
  for await (const piece of fromWorker(kind, mib)) await w.write(piece as Uint8Array<ArrayBuffer>)
  await w.close()
  return await handle.getFile()
}

/** Small files in memory, packs in the origin private file system (like restic's local backend on disk). */
class OpfsBackend extends MemoryBackend {
  readonly #dir: FileSystemDirectoryHandle
  readonly #packs = new Map<string, number>()
  constructor (name: string, dir: FileSystemDirectoryHandle) {
    super(`opfs:${name}`)
    this.#dir = dir
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
    const file = await (await this.#dir.getFileHandle(h.name)).getFile()
    const off = range?.offset ?? 0
    return new Uint8Array(await file.slice(off, range?.length === undefined ? undefined : off + range.length).arrayBuffer())
  }

  override async write (h: Handle, data: Uint8Array): Promise<void> {
    if (h.type !== 'data') { await super.write(h, data); return }
    const w = await (await this.#dir.getFileHandle(h.name, { create: true })).createWritable()
    await w.write(data as Uint8Array<ArrayBuffer>)
    await w.close()
    this.#packs.set(h.name, data.length)
  }

  override async remove (h: Handle): Promise<void> {
    if (h.type !== 'data') { await super.remove(h); return }
    await this.#dir.removeEntry(h.name)
    this.#packs.delete(h.name)
  }

  async destroy (): Promise<void> {
    for (const name of this.#packs.keys()) await this.#dir.removeEntry(name)
    this.#packs.clear()
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
   * Where the repository to restore from keeps its packs: OPFS files (`opfs`, default, like
   * restic's local backend on disk) or Blobs (`blob`); `none` skips the store and restore phases.
   */
  backend?: 'opfs' | 'blob' | 'none' | undefined
}

export type PhaseName = 'write' | 'read' | 'backup' | 'store' | 'restore'
export interface Phase {
  name: PhaseName
  /** `Date.now()` at the start and end (the suite matches its RSS samples to them). */
  start: number
  end: number
  seconds: number
  /** Highest `performance.memory.usedJSHeapSize` of the page's thread during the phase. */
  peakMainHeapMiB: number
}
export interface RunResult {
  /** Timed phases, in seconds (0 when skipped); `readS`: reading the input file alone. */
  readS: number
  backupS: number
  storeS: number
  restoreS: number
  restoredBytes: number
  bytesAdded: number
  phases: Phase[]
  workers: boolean
}

const heap = (): number => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0

/** Run `f` as one phase, sampling the main thread's heap every 50 ms. */
async function phase<T> (phases: Phase[], name: PhaseName, f: () => Promise<T>): Promise<T> {
  let peak = heap()
  const timer = setInterval(() => { peak = Math.max(peak, heap()) }, 50)
  const start = Date.now()
  const t = performance.now()
  try {
    return await f()
  } finally {
    clearInterval(timer)
    const seconds = (performance.now() - t) / 1000
    phases.push({ name, start, end: Date.now(), seconds, peakMainHeapMiB: Math.max(peak, heap()) / MiB })
  }
}

async function run (req: RunRequest): Promise<RunResult> {
  // Start from a collected heap (Chromium runs with --expose-gc), so runs do not inherit garbage.
  (globalThis as { gc?: () => void }).gc?.()
  const phases: Phase[] = []
  const name = `bench-${req.kind}-${Date.now()}`
  const opfs = await navigator.storage.getDirectory()
  const dir = await opfs.getDirectoryHandle(name, { create: true })
  const pool = req.workers > 0 ? createResticPool({ size: req.workers }) : undefined
  const opts = { hostname: 'bench', pool }
  try {
    const file = await phase(phases, 'write', async () => await writeInput(dir, req.kind, req.mib))
    const source = (): PickedSource => new PickedSource([{ path: 'bench/data.bin', file }])
    // Reading the file alone, as the backup reads it (for reference: the source's own limit).
    await phase(phases, 'read', async () => { for await (const piece of source().open(['bench', 'data.bin'])) void piece })
    // The engine alone: a repository that keeps no pack bytes.
    const discard = await Repository.init(new DiscardBackend(name), { password: 'bench', scrypt: { N: 1024, r: 8, p: 1 } })
    const s = await phase(phases, 'backup', async () => await backup(discard, source(), opts))
    const result: RunResult = { readS: phases[1]?.seconds ?? 0, backupS: phases[2]?.seconds ?? 0, storeS: 0, restoreS: 0, restoredBytes: 0, bytesAdded: s.bytesAdded, phases, workers: pool?.workers ?? false }
    if (req.backend === 'none') return result
    const backend = req.backend === 'blob' ? new BlobBackend(name) : new OpfsBackend(name, await dir.getDirectoryHandle('repo', { create: true }))
    const repo = await Repository.init(backend, { password: 'bench', scrypt: { N: 1024, r: 8, p: 1 } })
    await phase(phases, 'store', async () => await backup(repo, source(), opts))
    const sink = new CountingSink()
    await phase(phases, 'restore', async () => { await restore(repo, await findSnapshot(repo, 'latest'), sink, { pool }) })
    await backend.destroy()
    return { ...result, storeS: phases[3]?.seconds ?? 0, restoreS: phases[4]?.seconds ?? 0, restoredBytes: sink.bytes }
  } finally {
    pool?.close()
    await opfs.removeEntry(name, { recursive: true })
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

export interface UnlockRequest { config: string, keyName: string, key: string, password: string, repeats: number }

/**
 * Opening a repository with its password, as the Backups page does (scrypt on the page's thread,
 * then the config): the repository's config and one key file (base64), opened `repeats` times.
 * Returns milliseconds per open.
 */
async function unlock (req: UnlockRequest): Promise<number[]> {
  const bytes = (b64: string): Uint8Array => Uint8Array.from(atob(b64), c => c.charCodeAt(0))
  const backend = new MemoryBackend('unlock')
  await backend.write({ type: 'config', name: '' }, bytes(req.config))
  await backend.write({ type: 'keys', name: req.keyName }, bytes(req.key))
  const out: number[] = []
  for (let i = 0; i < req.repeats; i++) {
    const t = performance.now()
    await Repository.open(backend, { password: req.password })
    out.push(performance.now() - t)
  }
  return out
}

(globalThis as unknown as { resticBench: unknown }).resticBench = { run, unlock, stages, pieceHashes, generatedBytes, hardwareConcurrency: navigator.hardwareConcurrency }
