/**
 * The add worker: imports files into UnixFS (chunking and hashing) off the main thread, writing
 * blocks straight into the IndexedDB blockstore. The page pins the roots once this is done.
 */
import { addAll } from '../ipfs/add/index.js'
import { errorToObject } from '../core/errors.js'
import { BatchedIdbWriter } from './batched-blockstore.js'
import type { AddEntry, AddProgressEvents, ProfileName } from '../ipfs/add/index.js'
import type { AddWorkerRequest, AddWorkerResponse, AddWorkerEntry, AddWorkerProgress } from './add-protocol.js'

const controllers = new Map<number, AbortController>()
const stores = new Map<string, Promise<BatchedIdbWriter>>()

function post (msg: AddWorkerResponse): void {
  (globalThis as unknown as { postMessage: (m: unknown) => void }).postMessage(msg)
}

async function blockstore (name: string): Promise<BatchedIdbWriter> {
  let s = stores.get(name)
  if (s === undefined) {
    s = BatchedIdbWriter.open(name)
    stores.set(name, s)
  }
  return s
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

function toEntry (e: AddWorkerEntry): AddEntry {
  return e.file === undefined ? { path: e.path } : { path: e.path, content: fileChunks(e.file) }
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
  void (async () => {
    try {
      const store = await blockstore(msg.blockstoreName)
      // Progress is throttled: one 'add:bytes' per ~50 ms is plenty for a progress bar.
      let lastBytes = 0
      const roots = await addAll(store, msg.entries.map(toEntry), {
        profile: msg.profile as ProfileName,
        onlyHash: msg.onlyHash,
        signal: controller.signal,
        onProgress: (evt) => {
          if (evt.type === 'add:bytes') {
            const now = performance.now()
            if (now - lastBytes < 50) return
            lastBytes = now
          }
          const event = serialise(evt)
          if (event !== undefined) post({ type: 'progress', id: msg.id, event })
        }
      })
      post({ type: 'done', id: msg.id, roots: roots.map(r => ({ name: r.name, cid: r.cid.toString(), size: r.size.toString(), type: r.type })) })
    } catch (err) {
      post({ type: 'error', id: msg.id, error: errorToObject(err) })
    } finally {
      controllers.delete(msg.id)
    }
  })()
})
