/**
 * The add worker: imports files into UnixFS (chunking and hashing) off the main thread, writing
 * blocks straight into the IndexedDB blockstore, then pins the roots in the node's IndexedDB
 * datastore from the blocks it wrote (Helia's record format, a few transactions in all; see
 * `pins/pin-records.ts`). The page holds the GC locks for the whole request.
 */
import { addAll } from '../ipfs/add/index.js'
import { DagTracker } from '../ipfs/pins/dag-tracker.js'
import { pinMany } from '../ipfs/pins/pin-records.js'
import { openIdbPinRecords } from '../ipfs/pins/idb-pin-records.js'
import { errorToObject } from '../core/errors.js'
import { BatchedIdbWriter } from './batched-blockstore.js'
import { SmallFileGroups } from './small-files.js'
import type { IdbPinRecords } from '../ipfs/pins/idb-pin-records.js'
import type { IdbWriteSession } from './batched-blockstore.js'
import type { AddEntry, AddProgressEvents, ProfileName } from '../ipfs/add/index.js'
import type { AddWorkerRequest, AddWorkerResponse, AddWorkerEntry, AddWorkerProgress } from './add-protocol.js'

const controllers = new Map<number, AbortController>()
const stores = new Map<string, Promise<BatchedIdbWriter>>()
const pinStores = new Map<string, Promise<IdbPinRecords>>()

function post (msg: AddWorkerResponse): void {
  (globalThis as unknown as { postMessage: (m: unknown) => void }).postMessage(msg)
}

async function blockstore (name: string): Promise<BatchedIdbWriter> {
  let s = stores.get(name)
  if (s === undefined) {
    s = BatchedIdbWriter.open(name, {}, () => { stores.delete(name) })
    stores.set(name, s)
  }
  return s
}

async function pinRecords (name: string): Promise<IdbPinRecords> {
  let s = pinStores.get(name)
  if (s === undefined) {
    s = openIdbPinRecords(name, () => { pinStores.delete(name) })
    pinStores.set(name, s)
  }
  return s
}

/**
 * Pin records are read-modify-written; every writer in the app (this worker, and the page's pin
 * and unpin) holds this Web Lock meanwhile, so two writers never interleave on a shared block.
 * The page's `withWebLock('pins', …)` is the same lock.
 */
async function withPinsLock<T> (fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
  if (locks === undefined) return fn()
  return locks.request('cairn:pins', { mode: 'exclusive' }, async () => fn()) as Promise<T>
}

async function * fileChunks (file: File): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader()
  try {
    while (true) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

function toEntry (e: AddWorkerEntry, small: SmallFileGroups): AddEntry {
  if (e.file === undefined) return { path: e.path }
  // Small files are read in groups (one Blob read for hundreds of them), larger ones streamed.
  return { path: e.path, content: small.has(e.file) ? small.content(e.file) : fileChunks(e.file) }
}

function serialise (evt: AddProgressEvents): AddWorkerProgress | undefined {
  switch (evt.type) {
    case 'add:file:start': return { type: evt.type, detail: evt.detail }
    case 'add:bytes': return { type: evt.type, detail: evt.detail }
    case 'add:file:done': return { type: evt.type, detail: { path: evt.detail.path, cid: evt.detail.cid.toString(), size: evt.detail.size.toString() } }
    case 'add:root': return { type: evt.type, detail: { name: evt.detail.name, cid: evt.detail.cid.toString(), size: evt.detail.size.toString() } }
    default: return undefined
  }
}

addEventListener('message', (e: MessageEvent<AddWorkerRequest>) => {
  const msg = e.data
  if (msg.type === 'abort') {
    controllers.get(msg.id)?.abort(new DOMException('The add was cancelled.', 'AbortError'))
    return
  }
  const controller = new AbortController()
  controllers.set(msg.id, controller)
  let session: IdbWriteSession | undefined
  void (async () => {
    try {
      session = (await blockstore(msg.blockstoreName)).session()
      const store = session
      const pinTo = msg.onlyHash === true ? undefined : msg.pinDatastoreName
      const tracker = pinTo === undefined ? undefined : new DagTracker()
      // Progress is throttled: one 'add:bytes' (with the running total) per ~50 ms is plenty.
      let lastBytes = 0
      const small = new SmallFileGroups(msg.entries.flatMap(e => e.file === undefined ? [] : [e.file]))
      const roots = await addAll(tracker?.wrap(store) ?? store, msg.entries.map(e => toEntry(e, small)), {
        profile: msg.profile as ProfileName,
        onlyHash: msg.onlyHash,
        signal: controller.signal,
        onProgress: (evt) => {
          // The page's progress bar needs only the running byte count: per-file events would be
          // two messages per file (20,000 for 10,000 small files).
          if (evt.type === 'add:file:start' || evt.type === 'add:file:done') return
          if (evt.type === 'add:bytes') {
            const now = performance.now()
            if (now - lastBytes < 50) return
            lastBytes = now
          }
          const event = serialise(evt)
          if (event !== undefined) post({ type: 'progress', id: msg.id, event })
        }
      })
      // Blocks are written behind the importer: wait until every one is committed.
      await session.drain()
      const out = roots.map(r => ({ name: r.name, cid: r.cid.toString(), size: r.size.toString(), type: r.type, pinned: false }))
      if (pinTo !== undefined && tracker !== undefined) {
        // The whole DAG is stored (every put has committed). A cancel up to here pins nothing;
        // from here on the pins run to the end.
        controller.signal.throwIfAborted()
        const records = await pinRecords(pinTo)
        // Every root at once: an add of many top-level files costs a few transactions in all.
        const known = roots.flatMap((root, i) => {
          const blockKeys = tracker.blocksOf(root.cid)
          return blockKeys === undefined ? [] : [{ i, root: root.cid, blockKeys, metadata: { name: root.name } }]
        })
        await withPinsLock(async () => pinMany(records, known))
        for (const { i } of known) out[i]!.pinned = true
      }
      post({ type: 'done', id: msg.id, roots: out })
    } catch (err) {
      // Let writes still in flight finish before the page releases the GC locks.
      await session?.settle()
      post({ type: 'error', id: msg.id, error: errorToObject(err) })
    } finally {
      controllers.delete(msg.id)
    }
  })()
})
