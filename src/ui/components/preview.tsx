import { useEffect, useState } from 'preact/hooks'
import { ErrorBox } from './error-box.js'
import { previewKind, sandboxedContentUrl } from '../../app/app.js'
import type { App, BrowseEntry } from '../../app/app.js'

const TEXT_LIMIT = 64 * 1024
const MEDIA_LIMIT = 64 * 1024 * 1024
const SVG_LIMIT = 8 * 1024 * 1024

/**
 * Preview a file without ever letting it run as the app (see app/content-kind.ts). Text, and
 * anything that is not a known-passive type (HTML, XML, PDF, …), is shown as text (never as
 * markup), up to 64 KiB. Raster images, audio and video play from the service worker's sandboxed
 * /ipfs/ route when it controls the page (range reads, so video can seek), otherwise from a Blob
 * of their passive type for files up to 64 MiB. SVG is an <img> (where scripts never run) of the
 * worker's sandboxed URL, or else of a `data:` URL, whose origin is opaque even opened in a tab:
 * never a same-origin `blob:` URL.
 */
export function Preview ({ app, entry }: { app: App, entry: BrowseEntry }) {
  const { kind, mime } = previewKind(entry.name)
  const [text, setText] = useState<{ text: string, truncated: boolean, binary: boolean } | undefined>(undefined)
  const [url, setUrl] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)

  useEffect(() => {
    const c = new AbortController()
    let revoke: string | undefined
    setText(undefined); setUrl(undefined); setError(undefined)
    void (async () => {
      try {
        const sandboxed = sandboxedContentUrl(`/ipfs/${entry.cid}`, `?filename=${encodeURIComponent(entry.name)}`)
        if (kind === 'text' || entry.size === 0) {
          const t = await app.files.readText(entry.cid, TEXT_LIMIT, { signal: c.signal })
          setText({ ...t, binary: t.text.slice(0, 1024).includes('\u0000') })
        } else if (sandboxed !== undefined) {
          setUrl(sandboxed)
        } else if (kind === 'svg') {
          setUrl(await app.files.svgDataUrl(entry.cid, SVG_LIMIT, { signal: c.signal }))
        } else if (entry.size <= MEDIA_LIMIT) {
          revoke = await app.files.objectUrl(entry.cid, mime, { signal: c.signal })
          setUrl(revoke)
        } else {
          setError('This file is too large to preview without the service worker. Download it instead.')
        }
      } catch (err) {
        if (!c.signal.aborted) setError((err as Error).message)
      }
    })()
    return () => { c.abort(); if (revoke !== undefined) URL.revokeObjectURL(revoke) }
  }, [entry.cid])

  return (
    <div class="preview" data-testid="preview">
      <ErrorBox message={error} />
      {text !== undefined && (text.binary
        ? <p class="muted">Binary file: download it to open it.</p>
        : text.text === ''
          ? <p class="muted" data-testid="preview-empty">This file is empty (0 bytes).</p>
          : <><pre data-testid="preview-text">{text.text}</pre>{text.truncated && <p class="muted">Showing the first 64 KiB.</p>}</>)}
      {url !== undefined && (kind === 'image' || kind === 'svg') && <img src={url} alt={entry.name} />}
      {url !== undefined && kind === 'audio' && <audio src={url} controls />}
      {url !== undefined && kind === 'video' && <video src={url} controls />}
    </div>
  )
}
