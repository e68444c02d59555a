/** Generates the bench data off the page's thread and posts it 1 MiB at a time (transferred), on demand. */
import { generate } from './generate.js'

addEventListener('message', (e: MessageEvent<{ kind: 'random' | 'text', mib: number, ahead: number }>) => {
  const { kind, mib, ahead } = e.data
  const it = generate(kind, mib)
  let credit = ahead
  let busy = false
  const pump = async (): Promise<void> => {
    if (busy) return
    busy = true
    while (credit > 0) {
      const r = await it.next()
      if (r.done === true) { postMessage(null); break }
      credit--
      const piece = r.value.byteOffset === 0 && r.value.byteLength === r.value.buffer.byteLength ? r.value : r.value.slice()
      postMessage(piece, { transfer: [piece.buffer] })
    }
    busy = false
  }
  addEventListener('message', () => { credit++; void pump() })
  void pump()
}, { once: true })
