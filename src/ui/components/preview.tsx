import { useEffect, useState } from 'preact/hooks'
import { ErrorBox } from './error-box.js'
import type { App, BrowseEntry } from '../../app/app.js'

const TEXT_LIMIT = 64 * 1024
const MEDIA_LIMIT = 64 * 1024 * 1024

const MEDIA: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', svg: 'image/svg+xml',
  mp3: 'audio/mpeg', ogg: 'audio/ogg', wav: 'audio/wav', flac: 'audio/flac', m4a: 'audio/mp4',
  mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime'
}

function kindOf (name: string): { kind: 'image' | 'audio' | 'video' | 'text', mime: string } {
  const ext = name.split('.').pop()?.toLowerCase() ?? ''
  const mime = MEDIA[ext]
  if (mime === undefined) return { kind: 'text', mime: 'text/plain' }
  return { kind: mime.split('/')[0] as 'image' | 'audio' | 'video', mime }
}

/**
 * Preview a file. Text is shown as text (never as HTML), up to 64 KiB. Images, audio and video
 * play from the service worker's /ipfs/ route when it is active (range reads, so video can seek),
 * otherwise from a Blob for files up to 64 MiB. SVG is shown as an <img>, where scripts never run.
 */
export function Preview ({ app, entry }: { app: App, entry: BrowseEntry }) {
  const { kind, mime } = kindOf(entry.name)
  const [text, setText] = useState<{ text: string, truncated: boolean, binary: boolean } | undefined>(undefined)
  const [url, setUrl] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)

  useEffect(() => {
    const c = new AbortController()
    let revoke: string | undefined
    setText(undefined); setUrl(undefined); setError(undefined)
    void (async () => {
      try {
        if (kind === 'text') {
          const t = await app.files.readText(entry.cid, TEXT_LIMIT, { signal: c.signal })
          setText({ ...t, binary: t.text.slice(0, 1024).includes('\u0000') })
        } else if (navigator.serviceWorker?.controller != null) {
          setUrl(new URL(`./ipfs/${entry.cid}?filename=${encodeURIComponent(entry.name)}`, location.href).toString())
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
        : <><pre data-testid="preview-text">{text.text}</pre>{text.truncated && <p class="muted">Showing the first 64 KiB.</p>}</>)}
      {url !== undefined && kind === 'image' && <img src={url} alt={entry.name} />}
      {url !== undefined && kind === 'audio' && <audio src={url} controls />}
      {url !== undefined && kind === 'video' && <video src={url} controls />}
    </div>
  )
}
