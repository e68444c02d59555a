/** Text-like files under ./ipfs/ are shown as plain text in the sandbox, never downloaded or rendered as HTML. */
import { describe, expect, it } from 'vitest'
import { TEXT_TYPE, textType } from '../../../src/sw/gateway-path.js'

const DIR = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'

describe('textType', () => {
  it('types .md, .csv, .json and source files as UTF-8 plain text', () => {
    for (const name of ['readme.md', 'data.csv', 'package.json', 'main.ts', 'NOTES.TXT', 'r%C3%A9sum%C3%A9.md']) {
      expect(textType(`/ipfs/${DIR}/${name}`, 'file', 'application/octet-stream')).toBe(TEXT_TYPE)
    }
    expect(textType(`/ipfs/${DIR}?filename=readme.md`, 'file', null)).toBe(TEXT_TYPE)
  })

  it('leaves other files, directories, IPLD and ?format= requests alone', () => {
    expect(textType(`/ipfs/${DIR}/index.html`, 'file', 'text/html')).toBeUndefined()
    expect(textType(`/ipfs/${DIR}/photo.png`, 'file', 'image/png')).toBeUndefined()
    expect(textType(`/ipfs/${DIR}/docs.md`, 'directory', null)).toBeUndefined()
    expect(textType(`/ipfs/${DIR}/a.json`, 'file', 'application/vnd.ipld.raw')).toBeUndefined()
    expect(textType(`/ipfs/${DIR}/a.json?format=raw`, 'file', 'application/octet-stream')).toBeUndefined()
    // A site's stylesheet, script and JSON keep the types pages need.
    expect(textType(`/ipfs/${DIR}/style.css`, 'file', 'text/css')).toBeUndefined()
    expect(textType(`/ipfs/${DIR}/app.js`, 'file', 'text/javascript')).toBeUndefined()
    expect(textType(`/ipfs/${DIR}/data.json`, 'file', 'application/json')).toBeUndefined()
    // Markdown typed as such is still shown, not saved.
    expect(textType(`/ipfs/${DIR}/readme.md`, 'file', 'text/markdown')).toBe(TEXT_TYPE)
  })
})
