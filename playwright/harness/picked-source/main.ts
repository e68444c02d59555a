/**
 * Test harness (playwright/specs/picked-source.spec.ts): reads a file from the origin private file
 * system through `PickedSource`, as a backup does, with a full garbage collection after every piece
 * (Chromium started with --expose-gc).
 */
import { PickedSource } from '../../../src/platform/restic-source.js'

const MiB = 1024 * 1024

async function writeFile (mib: number): Promise<File> {
  const root = await navigator.storage.getDirectory()
  const handle = await root.getFileHandle('picked.bin', { create: true })
  const w = await handle.createWritable()
  const piece = new Uint8Array(MiB)
  for (let i = 0; i < mib; i++) {
    crypto.getRandomValues(piece.subarray(0, 65536))
    piece[0] = i & 0xff
    await w.write(piece)
  }
  await w.close()
  return await handle.getFile()
}

/** Pieces and bytes read so far, for the test to watch (a stalled read never returns). */
const progress = { pieces: 0, bytes: 0, reads: 0 }

/**
 * Reads the file `times` times. Nothing here may wait on a timer while a piece is pending: a timer
 * would keep the read's promise chain, and with it the stream, alive.
 */
async function readCollecting (mib: number, times: number): Promise<number[]> {
  const file = await writeFile(mib)
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('start Chromium with --js-flags=--expose-gc')
  const out: number[] = []
  for (let t = 0; t < times; t++) {
    let bytes = 0
    for await (const piece of new PickedSource([{ path: 'picked.bin', file }]).open(['picked.bin'])) {
      bytes += piece.length
      progress.pieces++
      progress.bytes += piece.length
      setTimeout(gc, 0)
    }
    progress.reads++
    out.push(bytes)
  }
  return out
}

(globalThis as { pickedHarness?: unknown }).pickedHarness = { readCollecting, progress }
