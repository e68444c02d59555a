/**
 * The restic engine in a page, for bench/restic/suite.ts. Phases (each with its own time and peak
 * main-thread heap; the suite samples the renderer's RSS and splits it by these phases):
 *   write:   the bench data (random or text-like, identical to the bytes the suite writes for real
 *            restic, generated in a worker) streamed into a file in the origin private file system,
 *            as restic's input sits in a file on disk (untimed);
 *   read:    that file read alone, as the backup reads it (the source's own limit, for reference);
 *   backup:  that file, read piece by piece like a picked file (`PickedSource`), backed up into a
 *            repository that drops pack bytes (timed: the engine alone, for reference);
 *   store:   the same backup with its packs written where the app writes them (timed; this is the
 *            figure to compare with restic, which writes its packs too): by default (`ipfs`) an
 *            IPFS repository (`IpfsBackend`, UnixFS files) in an IndexedDB blockstore under a
 *            Helia node, as the app's backups do, flushed (root pinned) at the end; or OPFS files;
 *   restore: that repository restored into a sink that only counts bytes (timed).
 */
import { createHeliaLight } from 'helia'
import { IDBBlockstore } from 'blockstore-idb'
import { IDBDatastore } from 'datastore-idb'
import { createIpfsBackend } from '../../../src/ipfs/restic-backend/index.js'
import { ownBuffer } from '../../../src/core/bytes.js'
import { MemoryBackend, Repository, backup, findSnapshot, restore } from '../../../src/restic/index.js'
import type { Backend, FileInfo, FileType, Handle, RestoreSink } from '../../../src/restic/index.js'
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

/**
 * The app's storage for a backup: a Helia node on IndexedDB stores (blocks stored as their own
 * bytes, as the app's node-service does) and an IPFS repository on it.
 */
async function ipfsStore (name: string): Promise<{ backend: Awaited<ReturnType<typeof createIpfsBackend>>, destroy: () => Promise<void> }> {
  const blockstore = new IDBBlockstore(`${name}/blocks`)
  const datastore = new IDBDatastore(`${name}/data`)
  await Promise.all([blockstore.open(), datastore.open()])
  const put = blockstore.put.bind(blockstore)
  blockstore.put = async (cid, bytes, options) => await put(cid, bytes instanceof Uint8Array ? ownBuffer(bytes) : bytes, options)
  const helia = createHeliaLight({ blockstore, datastore })
  await helia.start()
  const backend = await createIpfsBackend({ helia }, {})
  return {
    backend,
    destroy: async () => {
      await backend.close().catch(() => {})
      await helia.stop()
      await Promise.all([blockstore.close(), datastore.close()])
      for (const db of [`${name}/blocks`, `${name}/data`]) {
        await new Promise(resolve => { const r = indexedDB.deleteDatabase(db); r.onsuccess = resolve; r.onerror = resolve; r.onblocked = resolve })
      }
    }
  }
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
   * Where the timed store writes its packs, and the restore reads them: an IPFS repository in an
   * IndexedDB blockstore (`ipfs`, default: what the app does), OPFS files (`opfs`, like restic's
   * local backend on disk) or Blobs (`blob`); `none` skips the store and restore phases.
   */
  backend?: 'ipfs' | 'opfs' | 'blob' | 'none' | undefined
  /** Skip the engine-only backup into a repository that drops pack bytes. */
  skipEngineOnly?: boolean | undefined
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
  backend: string
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
    // The engine alone, for reference: a repository that keeps no pack bytes.
    let bytesAdded = 0
    if (req.skipEngineOnly !== true) {
      const discard = await Repository.init(new DiscardBackend(name), { password: 'bench', scrypt: { N: 1024, r: 8, p: 1 } })
      bytesAdded = (await phase(phases, 'backup', async () => await backup(discard, source(), opts))).bytesAdded
    }
    const seconds = (n: PhaseName): number => phases.find(p => p.name === n)?.seconds ?? 0
    const result: RunResult = { readS: seconds('read'), backupS: seconds('backup'), storeS: 0, restoreS: 0, restoredBytes: 0, bytesAdded, phases, workers: pool?.workers ?? false, backend: req.backend ?? 'ipfs' }
    if (req.backend === 'none') return result
    let store: { backend: Backend, destroy: () => Promise<void> }
    if (req.backend === 'blob') { const b = new BlobBackend(name); store = { backend: b, destroy: async () => { await b.destroy() } } } else if (req.backend === 'opfs') { const b = new OpfsBackend(name, await dir.getDirectoryHandle('repo', { create: true })); store = { backend: b, destroy: async () => { await b.destroy() } } } else store = await ipfsStore(name)
    try {
      const repo = await Repository.init(store.backend, { password: 'bench', scrypt: { N: 1024, r: 8, p: 1 } })
      const s = await phase(phases, 'store', async () => {
        const s = await backup(repo, source(), opts)
        // The IPFS repository links its directories and pins the new root on flush.
        await (store.backend as { flush?: () => Promise<unknown> }).flush?.()
        return s
      })
      const sink = new CountingSink()
      await phase(phases, 'restore', async () => { await restore(repo, await findSnapshot(repo, 'latest'), sink, { pool }) })
      return { ...result, bytesAdded: bytesAdded === 0 ? s.bytesAdded : bytesAdded, storeS: seconds('store'), restoreS: seconds('restore'), restoredBytes: sink.bytes }
    } finally {
      await store.destroy()
    }
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
