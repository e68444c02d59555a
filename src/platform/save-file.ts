/**
 * Save a stream as a download. Large files go through the File System Access API where the
 * browser has it (written as they stream, so memory stays flat); otherwise the bytes are collected
 * into a Blob and handed to the browser's download manager.
 *
 * That Blob is always typed `application/octet-stream`, whatever the file is: a `blob:` URL is
 * same-origin with the app, and one typed `image/svg+xml` or `text/html` would run the file's
 * scripts as the app if the URL were ever opened in a tab. Octet-stream is only ever saved.
 */
import { downloadName } from '../core/names.js'
import { AbortError } from '../core/errors.js'

/** The user closed the save dialog: nothing was saved and nothing went wrong. */
export class SaveDismissedError extends AbortError {
  constructor () { super('The save dialog was closed; nothing was saved.') }
}

export function isSaveDismissed (err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'SaveDismissedError'
}

export interface SaveOptions {
  signal?: AbortSignal
  /** Size hint: above `streamAbove` bytes the save picker is used when available. */
  size?: number
  streamAbove?: number
}

/** The only type a download's Blob gets (see above). */
export const DOWNLOAD_TYPE = 'application/octet-stream'

const DEFAULT_STREAM_ABOVE = 256 * 1024 * 1024

/** `name` often comes from a DAG or a snapshot ("../x", "a\\b"): it is suggested as one plain segment. */
export async function saveStream (rawName: string, source: AsyncIterable<Uint8Array>, options: SaveOptions = {}): Promise<void> {
  const name = downloadName(rawName)
  const picker = (globalThis as { showSaveFilePicker?: (o: unknown) => Promise<FileSystemFileHandle> }).showSaveFilePicker
  if (picker !== undefined && (options.size ?? Infinity) > (options.streamAbove ?? DEFAULT_STREAM_ABOVE)) {
    const handle = await picker({ suggestedName: name }).catch((err: unknown) => {
      throw (err as { name?: unknown } | null)?.name === 'AbortError' ? new SaveDismissedError() : err
    })
    await writeFileHandle(handle, source, options.signal)
    return
  }
  const parts: BlobPart[] = []
  for await (const chunk of source) {
    options.signal?.throwIfAborted()
    parts.push(chunk as Uint8Array<ArrayBuffer>)
  }
  const url = URL.createObjectURL(new Blob(parts, { type: DOWNLOAD_TYPE }))
  try {
    const a = document.createElement('a')
    a.href = url
    a.download = name
    a.rel = 'noopener'
    document.body.append(a)
    a.click()
    a.remove()
  } finally {
    setTimeout(() => { URL.revokeObjectURL(url) }, 60_000)
  }
}

/** Save bytes already in memory as a download (through saveStream, so typed as above). */
export async function saveBytes (name: string, bytes: Uint8Array): Promise<void> {
  await saveStream(name, (async function * () { yield bytes })(), { size: bytes.byteLength })
}

/** Write a stream into a file handle piece by piece; on failure the file is left as it was. */
export async function writeFileHandle (handle: FileSystemFileHandle, source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
  const writable = await handle.createWritable()
  try {
    for await (const chunk of source) {
      signal?.throwIfAborted()
      await writable.write(chunk as Uint8Array<ArrayBuffer>)
    }
    await writable.close()
  } catch (err) {
    await writable.abort().catch(() => {})
    throw err
  }
}

export async function copyText (text: string): Promise<void> {
  await navigator.clipboard.writeText(text)
}
