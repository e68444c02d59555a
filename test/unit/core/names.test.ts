/** The name rule for names from repositories and DAGs (core/names.ts), and download names. */
import { afterEach, describe, expect, it } from 'vitest'
import { downloadName, isSafeName, showName, unsafeNameReason } from '../../../src/core/names.js'
import { saveStream } from '../../../src/platform/save-file.js'

describe('the name rule', () => {
  it('refuses restic\'s invalid child node names, and NUL', () => {
    for (const bad of ['', '.', '..', '/', 'a/b', '../x', 'x/', 'n\0ul']) expect(unsafeNameReason(bad)).toBeTypeOf('string')
    for (const ok of ['a', '...', '..a', 'a..', ' ', 'a\\b', 'é', 'x'.repeat(300)]) expect(isSafeName(ok)).toBe(true)
  })

  it('refuses "\\" only when asked (archives, browser folders, Windows)', () => {
    expect(isSafeName('a\\b', { backslash: true })).toBe(false)
    expect(isSafeName('..\\..\\x', { backslash: true })).toBe(false)
  })

  it('quotes names that would read as something else', () => {
    expect(showName('ok.txt')).toBe('ok.txt')
    expect(showName('..')).toBe('".."')
    expect(showName('a\nb')).toBe('"a\\nb"')
    expect(showName('')).toBe('""')
  })

  it('makes download names one plain segment', () => {
    expect(downloadName('../../etc/passwd')).toBe('.._.._etc_passwd')
    expect(downloadName('..\\x')).toBe('.._x')
    expect(downloadName('..')).toBe('download')
    expect(downloadName('', 'snapshot.zip')).toBe('snapshot.zip')
    expect(downloadName('photo 1.jpg')).toBe('photo 1.jpg')
  })
})

describe('saveStream', () => {
  const g = globalThis as { showSaveFilePicker?: unknown }
  afterEach(() => { delete g.showSaveFilePicker })

  it('suggests a cleaned name to the save picker', async () => {
    const suggested: string[] = []
    g.showSaveFilePicker = async (o: { suggestedName: string }) => { suggested.push(o.suggestedName); throw new DOMException('cancelled', 'AbortError') }
    async function * none (): AsyncGenerator<Uint8Array> {}
    await expect(saveStream('../../.bashrc', none(), { size: 2, streamAbove: 1 })).rejects.toMatchObject({ name: 'SaveDismissedError' }) // a closed dialog is a quiet cancel
    expect(suggested).toEqual(['.._.._.bashrc'])
  })
})
