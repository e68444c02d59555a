/**
 * The service worker's directory listing of a UnixFS folder with hostile entry names: no link
 * leaves the folder ("..", "../../evil" and "." are shown as text, not linked), valid names link.
 */
import { MemoryBlockstore } from 'blockstore-core'
import { describe, expect, it } from 'vitest'
import { directoryPage, serveContent } from '../../../src/sw/content.js'
import { hostileEntries, putHostileDir } from '../files/hostile-dag.js'

function hrefs (html: string): string[] {
  return [...html.matchAll(/href="([^"]*)"/g)].map(m => (m[1] as string).replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"'))
}

describe('directory listings with hostile names', () => {
  it('links only inside the folder, through the real content path', async () => {
    const blockstore = new MemoryBlockstore()
    const cid = await putHostileDir(blockstore, hostileEntries())
    const res = await serveContent({ blockstore, gateways: [] }, `/ipfs/${cid.toString()}/`, '/app/')
    expect(res.status).toBe(200)
    const html = await res.text()
    const dir = `http://h/app/ipfs/${cid.toString()}/`
    const links = hrefs(html).map(h => new URL(h, dir).href)
    expect(links.length).toBe(3)
    for (const l of links) expect(l.startsWith(dir) && l.length > dir.length).toBe(true)
    expect(links.sort()).toEqual([`${dir}a%5Cb`, `${dir}ok.txt`, `${dir}sub`])
    expect(html).toContain('&quot;../../evil&quot;</span> (not linked: the name holds a path separator &quot;/&quot;)')
    expect(html).toContain('&quot;..&quot;</span> (not linked:')
  })

  it('directoryPage never links "", ".", ".." or names with "/" or NUL', () => {
    const names = ['', '.', '..', '../x', 'a/b', 'n\0ul', 'ok', '..ok', '...']
    const html = directoryPage('/ipfs/bafy', names.map(name => ({ name, cid: 'bafy', size: 1n })))
    const base = 'http://h/ipfs/bafy/'
    expect(hrefs(html).map(h => new URL(h, base).href)).toEqual([`${base}ok`, `${base}..ok`, `${base}...`])
  })
})
