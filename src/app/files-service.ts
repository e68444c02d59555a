/**
 * Files: add (in a worker), the library, browsing, preview, downloads, pins and GC, CAR import and
 * export, and share links. Every long action takes `{ signal, onProgress }`.
 */
import { createStore } from './store.js'
import { createMeter } from './progress.js'
import { ActiveContentError, NameResolutionUnavailableError, NodeNotReadyError, PreviewTooLargeError } from './errors.js'
import { isPassiveType } from './content-kind.js'
import { CairnError } from '../core/errors.js'
import { openLibraryStore } from '../platform/library-store.js'
import { saveStream } from '../platform/save-file.js'
import { withWebLock } from '../platform/locks.js'
import type { Store } from './store.js'
import type { TransferProgress } from './progress.js'
import type { NodeService, NodeStores } from './node-service.js'
import type { LibraryItem, LibraryStore } from '../platform/library-store.js'
import type { PickedEntry } from '../platform/file-sources.js'
import type { AbortOptions } from '../core/options.js'
import type { NetworkSettings } from '../core/settings.js'
import type { AddWorkerRequest, AddWorkerResponse, AddWorkerRoot } from '../workers/add-protocol.js'
import type { Entry } from '../ipfs/browse/browse.js'
import type { BatchStores } from '../ipfs/pins/index.js'
import type { CID as CidType } from 'multiformats/cid'

export type { LibraryItem } from '../platform/library-store.js'
export type { TransferProgress } from './progress.js'

export interface LibraryRow extends LibraryItem { pinned: boolean }

export interface BrowseEntry { name: string, cid: string, type: Entry['type'], size: number }

export interface TransferOptions extends AbortOptions {
  onProgress?: (p: TransferProgress) => void
}

export interface AddFilesOptions extends TransferOptions {
  profile: string
}

export class AddFailedError extends CairnError {
  static override readonly code = 'ERR_ADD_FAILED'
}

export class NothingToAddError extends CairnError {
  static override readonly code = 'ERR_NOTHING_TO_ADD'
  constructor () { super('Nothing to add: pick or drop at least one file or folder.') }
}

export interface ShareLinks { ipfsUrl: string, pathUrl: string | undefined, subdomainUrl: string | undefined }

let nextAddId = 1

function toBase64 (bytes: Uint8Array): string {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

/** A message for a failed add that says what happened and what to do, even for bare browser errors. */
function addFailureMessage (e: { name: string, message: string }): string {
  if (e.name === 'QuotaExceededError') return 'Adding failed: the browser\'s storage for this site is full. Free space with garbage collection (Files page), unpin what you no longer need, or ask for persistent storage (Storage page).'
  if (e.name === 'NotReadableError' || e.name === 'NotFoundError') return `Adding failed: a file could not be read (${e.name}${e.message !== '' ? `: ${e.message}` : ''}). It may have been moved or changed while it was being added; pick it again.`
  return `Adding failed: ${e.name}${e.message !== '' ? `: ${e.message}` : ''}`
}

export interface FilesService {
  library: Store<LibraryRow[]>
  refreshLibrary: () => Promise<void>
  add: (entries: PickedEntry[], options: AddFilesOptions) => Promise<AddWorkerRoot[]>
  list: (cid: string, options?: AbortOptions) => Promise<BrowseEntry[]>
  stat: (address: string, options?: TransferOptions) => Promise<BrowseEntry & { path: string, root: string }>
  readText: (cid: string, maxBytes: number, options?: AbortOptions) => Promise<{ text: string, truncated: boolean }>
  /**
   * A same-origin `blob:` URL of the file, for a known-passive type only (raster images, audio,
   * video, text): anything that could run script throws ActiveContentError.
   */
  objectUrl: (cid: string, mimeType: string, options?: AbortOptions) => Promise<string>
  /** A `data:image/svg+xml` URL of an SVG of at most `maxBytes`: an opaque origin wherever it is opened. */
  svgDataUrl: (cid: string, maxBytes: number, options?: AbortOptions) => Promise<string>
  download: (cid: string, name: string, options?: TransferOptions) => Promise<void>
  downloadArchive: (cid: string, name: string, format: 'tar' | 'zip', options?: TransferOptions) => Promise<void>
  downloadCar: (cid: string, name: string, options?: TransferOptions) => Promise<void>
  importCar: (file: File, options?: TransferOptions) => Promise<{ roots: string[], blocks: number, bytes: number }>
  pin: (cid: string, name?: string) => Promise<void>
  unpin: (cid: string) => Promise<void>
  pins: () => Promise<Array<{ cid: string, name: string | undefined }>>
  gc: () => Promise<{ blocks: number, bytes: number }>
  share: (cid: string, publicGateway: string) => Promise<ShareLinks>
}

export function createFilesService (node: NodeService, stores: NodeStores, onStorageChanged: () => void, settings: () => Pick<NetworkSettings, 'gateways'> | undefined = () => undefined, resolveName: (name: string, options: AbortOptions) => Promise<{ value: string }> = async () => { throw new NameResolutionUnavailableError() }): FilesService {
  const library = createStore<LibraryRow[]>([])
  let libStore: Promise<LibraryStore> | undefined
  const lib = async (): Promise<LibraryStore> => { libStore ??= openLibraryStore(); return libStore }
  const helia = () => node.node()
  /**
   * The node as readers see it: blocks from the local store, then peers (5 s), then the gateways
   * in Settings order, each verified; a miss or a tampered block fails at once, naming the source.
   */
  const content = async (): Promise<ReturnType<typeof helia>> => {
    const n = helia()
    const { contentNode } = await import('../ipfs/fetch/content-node.js')
    return contentNode(n, { gateways: settings()?.gateways ?? [] })
  }
  const mods = async () => {
    const [browse, pins, car, cidMod] = await Promise.all([
      import('../ipfs/browse/browse.js'), import('../ipfs/pins/index.js'), import('../ipfs/car/index.js'), import('multiformats/cid')
    ])
    return { browse, pins, car, CID: cidMod.CID }
  }

  /** Batched access to the node's IndexedDB stores (unpin and GC); reopened after a blocking close. */
  let batchStores: Promise<BatchStores> | undefined
  const batched = async (): Promise<BatchStores> => {
    if (batchStores === undefined) {
      const { pins } = await mods()
      const opening = pins.openIdbBatchStores(stores, () => { if (batchStores === opening) batchStores = undefined })
      batchStores = opening
      opening.catch(() => { if (batchStores === opening) batchStores = undefined })
    }
    return batchStores
  }

  let worker: Worker | undefined
  const getWorker = (): Worker => {
    worker ??= new Worker(new URL('../workers/add-worker.ts', import.meta.url), { type: 'module', name: 'cairn-add' })
    return worker
  }

  async function collect (source: AsyncIterable<Uint8Array>, options: TransferOptions, label: string, total?: number): Promise<AsyncGenerator<Uint8Array>> {
    const meter = createMeter(label)
    let done = 0
    return (async function * () {
      for await (const chunk of source) {
        options.signal?.throwIfAborted()
        done += chunk.byteLength
        options.onProgress?.(meter.update(done, total))
        yield chunk
      }
    })()
  }

  /** An archive's or CAR's size is not known before it is made: the root block's link sizes estimate it. */
  async function browseSizeHint (cid: CidType, options: AbortOptions): Promise<number | undefined> {
    const { browse } = await mods()
    return await browse.dagSizeEstimate(await content(), cid, options.signal !== undefined ? { signal: options.signal } : {}).catch(() => undefined)
  }

  const service: FilesService = {
    library,
    async refreshLibrary () {
      const items = await (await lib()).list()
      let isPinned: (cid: string) => Promise<boolean> = async () => false
      try {
        const n = helia()
        const { pins, CID } = await mods()
        isPinned = async (cid) => pins.isPinned(n, CID.parse(cid))
      } catch (err) {
        if (!(err instanceof NodeNotReadyError)) throw err
      }
      library.set(await Promise.all(items.map(async i => ({ ...i, pinned: await isPinned(i.cid) }))))
    },

    async add (entries, options) {
      if (entries.length === 0) throw new NothingToAddError()
      const n = helia()
      const { pins, CID } = await mods()
      const total = entries.reduce((s, e) => s + (e.file?.size ?? 0), 0)
      const meter = createMeter(`Adding ${entries.length} ${entries.length === 1 ? 'file' : 'files'}`)
      // The shared locks (this tab's and, through Web Locks, every tab's) keep garbage collection
      // out until the roots are pinned: the worker's blocks are unpinned until then.
      return withWebLock('blocks', options.signal, async () => pins.withSharedLock(n, options.signal, async () => {
        const id = nextAddId++
        const w = getWorker()
        let done = 0
        const roots = await new Promise<AddWorkerRoot[]>((resolve, reject) => {
          const onAbort = (): void => { w.postMessage({ type: 'abort', id } satisfies AddWorkerRequest) }
          const cleanup = (): void => {
            w.removeEventListener('message', onMessage)
            options.signal?.removeEventListener('abort', onAbort)
          }
          const onMessage = (e: MessageEvent<AddWorkerResponse>): void => {
            const m = e.data
            if (m.id !== id) return
            if (m.type === 'progress') {
              // The worker sends the running total of bytes read, throttled.
              if (m.event.type !== 'add:bytes') return
              done = Math.max(done, m.event.detail.totalBytes)
              options.onProgress?.(meter.update(Math.min(done, total), total))
            } else if (m.type === 'done') {
              cleanup(); resolve(m.roots)
            } else {
              cleanup()
              const err = m.error.name === 'AbortError' || options.signal?.aborted === true
                ? options.signal?.reason ?? new DOMException('The add was cancelled.', 'AbortError')
                : new AddFailedError(addFailureMessage(m.error))
              reject(err)
            }
          }
          w.addEventListener('message', onMessage)
          options.signal?.addEventListener('abort', onAbort, { once: true })
          // The worker also pins the roots (in the node's datastore, from the blocks it wrote),
          // once the whole DAG is stored.
          const req: AddWorkerRequest = { type: 'add', id, blockstoreName: stores.blockstoreName, pinDatastoreName: stores.datastoreName, entries: entries.map(e => e.file === undefined ? { path: e.path } : { path: e.path, file: e.file }), profile: options.profile }
          w.postMessage(req)
        })
        // Done means stored and (mostly) pinned: a cancel that comes later no longer undoes it.
        performance.mark('cairn:add:imported')
        const store = await lib()
        for (const r of roots) {
          if (r.pinned !== true) await withWebLock('pins', undefined, async () => pins.pin(n, CID.parse(r.cid), { metadata: { name: r.name }, complete: true }))
          // A file's size is its content's (the same for every CID profile), not its DAG's.
          const picked = r.type === 'file' ? entries.find(e => e.file !== undefined && e.path.split('/').filter(p => p !== '' && p !== '.').join('/') === r.name) : undefined
          await store.put({ cid: r.cid, name: r.name === '' ? r.cid : r.name, size: picked?.file?.size ?? Number(r.size), type: r.type, source: 'add', profile: options.profile, addedAt: Date.now() })
        }
        performance.mark('cairn:add:pinned')
        await service.refreshLibrary()
        onStorageChanged()
        return roots
      }), 'shared')
    },

    async list (cid, options = {}) {
      const { browse, CID } = await mods()
      const entries = await browse.list(await content(), CID.parse(cid), { signal: options.signal ?? AbortSignal.timeout(60_000) })
      return entries.map(e => ({ name: e.name, cid: e.cid.toString(), type: e.type, size: Number(e.size) }))
    },

    async stat (address, options = {}) {
      const [{ browse }, { nameAddress, parseAddress }] = await Promise.all([mods(), import('../ipfs/browse/address.js')])
      const signal = options.signal ?? AbortSignal.timeout(60_000)
      const meter = createMeter('Fetching', undefined, 'blocks')
      const name = nameAddress(address)
      if (name !== undefined) {
        // ipns:// and /ipns/ addresses: resolved (every record validated) to the /ipfs/ path they name.
        options.onProgress?.({ ...meter.update(0), label: `Resolving ${name}` })
        address = (await resolveName(name, { signal })).value
      }
      const { cid, path } = parseAddress(address)
      let blocks = 0
      const e = await browse.stat(await content(), cid, {
        path,
        signal,
        onProgress: () => { blocks++; options.onProgress?.(meter.update(blocks)) }
      })
      return { name: e.name === '' ? cid.toString() : e.name, cid: e.cid.toString(), type: e.type, size: Number(e.size), path, root: cid.toString() }
    },

    async readText (cid, maxBytes, options = {}) {
      const { browse, CID } = await mods()
      const chunks: Uint8Array[] = []
      let size = 0
      for await (const c of browse.read(await content(), CID.parse(cid), { length: maxBytes + 1, signal: options.signal ?? AbortSignal.timeout(60_000) })) {
        chunks.push(c); size += c.byteLength
      }
      const all = new Uint8Array(size)
      let o = 0
      for (const c of chunks) { all.set(c, o); o += c.byteLength }
      const truncated = size > maxBytes
      return { text: new TextDecoder('utf-8', { fatal: false }).decode(truncated ? all.subarray(0, maxBytes) : all), truncated }
    },

    async objectUrl (cid, mimeType, options = {}) {
      if (!isPassiveType(mimeType)) throw new ActiveContentError(mimeType)
      const { browse, CID } = await mods()
      const parts: BlobPart[] = []
      for await (const c of browse.read(await content(), CID.parse(cid), { signal: options.signal ?? AbortSignal.timeout(120_000) })) parts.push(c as Uint8Array<ArrayBuffer>)
      return URL.createObjectURL(new Blob(parts, { type: mimeType }))
    },

    async svgDataUrl (cid, maxBytes, options = {}) {
      const { browse, CID } = await mods()
      const parts: Uint8Array[] = []
      let size = 0
      for await (const c of browse.read(await content(), CID.parse(cid), { length: maxBytes + 1, signal: options.signal ?? AbortSignal.timeout(120_000) })) {
        parts.push(c); size += c.byteLength
        if (size > maxBytes) throw new PreviewTooLargeError(`This SVG is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB, too large to preview. Download it instead.`)
      }
      const bytes = new Uint8Array(size)
      let o = 0
      for (const c of parts) { bytes.set(c, o); o += c.byteLength }
      // A data: URL has an opaque origin: opened in a tab, its scripts cannot reach the app's storage.
      return `data:image/svg+xml;base64,${toBase64(bytes)}`
    },

    async download (cid, name, options = {}) {
      const { browse, CID } = await mods()
      const entry = await browse.stat(await content(), CID.parse(cid), { signal: options.signal })
      const total = Number(entry.size)
      await saveStream(name, await collect(browse.read(await content(), CID.parse(cid), { signal: options.signal }), options, `Downloading ${name}`, total), { size: total, ...(options.signal !== undefined ? { signal: options.signal } : {}) })
    },

    async downloadArchive (cid, name, format, options = {}) {
      const [{ CID }, archive] = await Promise.all([mods(), import('../ipfs/browse/archive.js')])
      const root = CID.parse(cid)
      // Entries whose names would point outside the archive are left out and listed once it is saved.
      const refused: Array<{ path: string, message: string }> = []
      const walk = { signal: options.signal, onProgress: (evt: { type: string, detail: unknown }) => { if (evt.type === 'browse:walk:refused') refused.push(evt.detail as { path: string, message: string }) } }
      const source = format === 'tar'
        ? archive.tarStream(await content(), root, name, walk)
        : archive.zipStream(await content(), root, name, walk) as unknown as AsyncIterable<Uint8Array>
      const size = await browseSizeHint(root, options)
      await saveStream(`${name}.${format}`, await collect(source, options, `Packing ${name}.${format}`), { size, ...(options.signal !== undefined ? { signal: options.signal } : {}) })
      if (refused.length > 0) throw new archive.ArchiveIncompleteError(`${name}.${format}`, refused)
    },

    async downloadCar (cid, name, options = {}) {
      const { car, CID } = await mods()
      const size = await browseSizeHint(CID.parse(cid), options)
      const source = car.exportCar((await content()).blockstore, CID.parse(cid), { signal: options.signal })
      await saveStream(`${name}.car`, await collect(source, options, `Exporting ${name}.car`, size), { size, ...(options.signal !== undefined ? { signal: options.signal } : {}) })
    },

    async importCar (file, options = {}) {
      const { car } = await mods()
      const meter = createMeter(`Importing ${file.name}`)
      let done = 0
      async function * chunks (): AsyncGenerator<Uint8Array> {
        const reader = file.stream().getReader()
        try {
          while (true) {
            const { done: end, value } = await reader.read()
            if (end) return
            done += value.byteLength
            options.onProgress?.(meter.update(done, file.size))
            yield value
          }
        } finally { reader.releaseLock() }
      }
      const result = await car.importCar(helia(), chunks(), { signal: options.signal })
      const store = await lib()
      for (const r of result.roots) {
        await store.put({ cid: r.toString(), name: file.name.replace(/\.car$/i, ''), size: result.bytes, type: 'directory', source: 'car', addedAt: Date.now() })
      }
      await service.refreshLibrary()
      onStorageChanged()
      return { roots: result.roots.map(r => r.toString()), blocks: result.blocks, bytes: result.bytes }
    },

    async pin (cid, name) {
      const { pins, CID } = await mods()
      // Pin records are read-modify-written: one writer at a time across tabs and the add worker.
      await withWebLock('pins', undefined, async () => pins.pin(helia(), CID.parse(cid), name !== undefined ? { metadata: { name } } : {}))
      const store = await lib()
      if (!(await store.list()).some(i => i.cid === cid)) {
        const { browse } = await mods()
        const e = await browse.stat(helia(), CID.parse(cid), { offline: true })
        await store.put({ cid, name: name ?? cid, size: Number(e.size), type: e.type, source: 'open', addedAt: Date.now() })
      }
      await service.refreshLibrary()
    },

    async unpin (cid) {
      const { pins, CID } = await mods()
      const n = helia()
      const batch = await batched()
      await withWebLock('pins', undefined, async () => pins.unpin(n, CID.parse(cid), { stores: batch }))
      await service.refreshLibrary()
    },

    async pins () {
      const { pins } = await mods()
      const out: Array<{ cid: string, name: string | undefined }> = []
      for await (const p of pins.listPins(helia())) out.push({ cid: p.cid.toString(), name: typeof p.metadata.name === 'string' ? p.metadata.name : undefined })
      return out
    },

    async gc () {
      const { pins } = await mods()
      const n = helia()
      const batch = await batched()
      // The mark set is taken once: no pin record may change meanwhile (same order as an add:
      // `blocks`, then `pins`).
      const result = await withWebLock('blocks', undefined, async () => withWebLock('pins', undefined, async () => pins.collectGarbage(n, { stores: batch })))
      await service.refreshLibrary()
      onStorageChanged()
      return result
    },

    async share (cid, publicGateway) {
      const { CID } = await mods()
      const parsed = CID.parse(cid)
      const v1 = parsed.toV1().toString()
      if (publicGateway === '') return { ipfsUrl: `ipfs://${v1}`, pathUrl: undefined, subdomainUrl: undefined }
      const gw = new URL(publicGateway)
      const pathUrl = `${gw.origin}/ipfs/${cid}`
      const subdomainUrl = `${gw.protocol}//${v1}.ipfs.${gw.host}/`
      return { ipfsUrl: `ipfs://${v1}`, pathUrl, subdomainUrl }
    }
  }
  return service
}

