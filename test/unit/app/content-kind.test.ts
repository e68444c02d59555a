/** Which files may become same-origin blob: URLs: only types that never run script. */
import { describe, expect, it } from 'vitest'
import { isPassiveType, previewKind } from '../../../src/app/content-kind.js'

describe('content kinds', () => {
  it('shows SVG as svg (a data: URL), active markup and unknown types as text', () => {
    expect(previewKind('logo.SVG')).toEqual({ kind: 'svg', mime: 'image/svg+xml' })
    for (const name of ['a.html', 'a.htm', 'a.xhtml', 'a.xml', 'a.pdf', 'a.js', 'a.mjs', 'Makefile', 'a.svg.txt']) {
      expect(previewKind(name).kind, name).toBe('text')
    }
    expect(previewKind('p.png')).toEqual({ kind: 'image', mime: 'image/png' })
    expect(previewKind('v.webm')).toEqual({ kind: 'video', mime: 'video/webm' })
  })

  it('calls only raster images, audio, video, text/plain and octet-stream passive', () => {
    for (const t of ['image/png', 'IMAGE/JPEG', 'video/mp4', 'audio/mpeg', 'text/plain; charset=utf-8', 'application/octet-stream']) expect(isPassiveType(t), t).toBe(true)
    for (const t of ['image/svg+xml', 'text/html', 'application/xhtml+xml', 'text/xml', 'application/xml', 'application/pdf', 'text/javascript', '', 'image/svg+xml; charset=utf-8']) expect(isPassiveType(t), t).toBe(false)
  })
})
