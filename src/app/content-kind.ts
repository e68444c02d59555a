/**
 * What a file may be shown as on the app's origin. User content must never run as the app: a
 * `blob:` URL is same-origin with the page that made it, so a Blob typed `image/svg+xml`,
 * `text/html`, `application/xhtml+xml`, `application/pdf`… runs its scripts with the app's
 * privileges when its URL is opened in a tab (the device key, remembered passwords, tokens).
 *
 * Only the known-passive types below may become same-origin `blob:` URLs. SVG is shown from a
 * `data:` URL (an opaque origin wherever it is opened), everything else as text.
 */
/** Raster images, audio and video: a browser never runs script from them, even opened in a tab. */
const PASSIVE_MEDIA: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime'
}

const PASSIVE_TYPES: ReadonlySet<string> = new Set([...Object.values(PASSIVE_MEDIA), 'text/plain', 'application/octet-stream'])

export type PreviewKind =
  | { kind: 'image' | 'audio' | 'video', mime: string }
  /** An SVG image: shown through a `data:` URL in an `<img>`, never a same-origin URL. */
  | { kind: 'svg', mime: 'image/svg+xml' }
  /** Anything else (HTML, XML, PDF, scripts, unknown): shown as text, never rendered. */
  | { kind: 'text', mime: 'text/plain' }

/** How the preview shows a file, from its name. */
export function previewKind (name: string): PreviewKind {
  const ext = name.includes('.') ? (name.split('.').pop() ?? '').toLowerCase() : ''
  if (ext === 'svg') return { kind: 'svg', mime: 'image/svg+xml' }
  const mime = PASSIVE_MEDIA[ext]
  if (mime === undefined) return { kind: 'text', mime: 'text/plain' }
  return { kind: mime.split('/')[0] as 'image' | 'audio' | 'video', mime }
}

/** True for a type that never runs script, even as a top-level document of the app's origin. */
export function isPassiveType (mimeType: string): boolean {
  return PASSIVE_TYPES.has(mimeType.split(';')[0]?.trim().toLowerCase() ?? '')
}

/**
 * The URL of `/ipfs/<cid>/<path>` content for this page, only when the service worker controls
 * it: the worker answers it locked in a sandbox (no scripts, see src/sw/content.ts). Without the
 * worker the same URL would reach the static host, which adds no sandbox, so there is none.
 */
export function sandboxedContentUrl (ipfsPath: string, search = ''): string | undefined {
  if (typeof navigator === 'undefined' || navigator.serviceWorker?.controller == null) return undefined
  return new URL(`.${ipfsPath}${search}`, location.href).toString()
}
