/**
 * The restic engine in a page, for bench/restic/suite.ts: back up a generated stream (random or
 * text-like, identical to the bytes the suite writes for real restic) into a repository whose packs
 * are kept as Blobs (or OPFS files, or dropped), then restore it into a sink that only counts bytes.
 */
import { MemoryBackend, Repository, backup, findSnapshot, restore } from '../../../src/restic/index.js'
import type { BackupSource, FileInfo, FileType, Handle, RestoreSink, SourceEntry } from '../../../src/restic/index.js'
import { createResticPool } from '../../../src/workers/restic-pool.js'

const MiB = 1024 * 1024
const WORDS = ['restic', 'cairn', 'backup', 'chunk', 'blob', 'pack', 'index', 'tree', 'snapshot', 'the', 'of', 'and', 'a', 'to', 'in', 'repository'].map(w => new TextEncoder().encode(w))

/** words[r[j] % 16] joined by spaces, until 1 MiB is filled (a plain function, so it is optimised). */
function fillText (r: Uint8Array, out: Uint8Array): void {
  let pos = 0
  for (let j = 0; pos < MiB; j++) {
    if (j > 0) out[pos++] = 0x20
    const w = WORDS[(r[j] as number) & 15] as Uint8Array
    for (let c = 0; c < w.length; c++) out[pos++] = w[c] as number
  }
}

/** AES-256-CTR keystream (key SHA-256(kind), IV 0), MiB by MiB: what the suite's writeData uses. */
async function * generate (kind: 'random' | 'text', mib: number): AsyncGenerator<Uint8Array> {
  const raw = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(kind))
  const key = await crypto.subtle.importKey('raw', raw, 'AES-CTR', false, ['encrypt'])
  const zeros = new Uint8Array(MiB)
  for (let i = 0; i < mib; i++) {
    const counter = new Uint8Array(16)
    new DataView(counter.buffer).setBigUint64(8, BigInt(i) * 65536n)
    const r = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CTR', counter, length: 128 }, key, zeros))
    if (kind === 'random') { yield r; continue }
    // words[r[j] % 16] joined by spaces, cut at 1 MiB
    const out = new Uint8Array(MiB + 16)
    fillText(r, out)
    yield out.subarray(0, MiB)
  }
}

class GeneratedSource implements BackupSource {
  readonly paths = ['/bench']
  constructor (readonly kind: 'random' | 'text', readonly mib: number) {}
  async list (dir: string[]): Promise<SourceEntry[]> {
    if (dir.length > 0) return []
    return [{ name: 'data.bin', type: 'file', mode: 0o644, mtimeNs: 1_700_000_000_000_000_000n, size: this.mib * MiB }]
  }

  open (): AsyncIterable<Uint8Array> { return generate(this.kind, this.mib) }
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
   * Where packs go: `blob` (default) keeps each pack as a Blob (held by the browser process, out
   * of the renderer), `opfs` writes files in the origin private file system, `discard` keeps
   * nothing (backup only, no restore).
   */
  backend?: 'blob' | 'opfs' | 'discard' | undefined
}
export interface RunResult { backupS: number, restoreS: number, generateS: number, restoredBytes: number, bytesAdded: number, peakMainHeapMiB: number, workers: boolean }

async function run (req: RunRequest): Promise<RunResult> {
  const heap = (): number => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0
  let peak = heap()
  const timer = setInterval(() => { peak = Math.max(peak, heap()) }, 50)
  // Generating alone, for reference (it is part of the backup time below).
  let t = performance.now()
  for await (const piece of generate(req.kind, req.mib)) void piece
  const generateS = (performance.now() - t) / 1000
  const name = `bench-${req.kind}-${Date.now()}`
  const backend = req.backend === 'discard' ? new DiscardBackend(name) : req.backend === 'opfs' ? new OpfsBackend(name) : new BlobBackend(name)
  const pool = req.workers > 0 ? createResticPool({ size: req.workers }) : undefined
  try {
    const repo = await Repository.init(backend, { password: 'bench', scrypt: { N: 1024, r: 8, p: 1 } })
    t = performance.now()
    const s = await backup(repo, new GeneratedSource(req.kind, req.mib), { hostname: 'bench', pool })
    const backupS = (performance.now() - t) / 1000
    const sink = new CountingSink()
    t = performance.now()
    if (req.backend !== 'discard') await restore(repo, await findSnapshot(repo, 'latest'), sink, { pool })
    const restoreS = (performance.now() - t) / 1000
    return { backupS, restoreS, generateS, restoredBytes: sink.bytes, bytesAdded: s.bytesAdded, peakMainHeapMiB: Math.max(peak, heap()) / MiB, workers: pool?.workers ?? false }
  } finally {
    clearInterval(timer)
    pool?.close()
    await backend.destroy()
  }
}

/** Bytes the generator yields (a check of the generator alone). */
async function generatedBytes (kind: 'random' | 'text', mib: number): Promise<number> {
  let n = 0
  for await (const piece of generate(kind, mib)) n += piece.length
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

(globalThis as unknown as { resticBench: unknown }).resticBench = { run, stages, generatedBytes, hardwareConcurrency: navigator.hardwareConcurrency }
