/**
 * A repository on IPFS whose UnixFS directories hold entries named "../../evil" (and other names
 * that are no restic file name): the IPFS backend lists only restic file names, so
 * `cairn restic export` writes nothing outside its folder and copies the valid files. A REST
 * server's listing is held to the same rule (a name becomes part of a URL).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createIpfsBackend } from '../../../src/ipfs/restic-backend/index.js'
import { exportRepo } from '../../../src/node/restic-ipfs/index.js'
import { InvalidFileNameError, RestBackend, handlePath } from '../../../src/restic/index.js'
import { useTestNodes } from '../files/node.js'
import { putHostileDir } from '../files/hostile-dag.js'

const node = useTestNodes()
const base = mkdtempSync(join(tmpdir(), 'cairn-hostile-export-'))
afterAll(() => { rmSync(base, { recursive: true, force: true, maxRetries: 5 }) })
const KEY = 'a'.repeat(64)
const PACK = 'ab' + 'c'.repeat(62)

describe('repository file names from a DAG or a server', () => {
  it('export writes only restic files, all inside the folder', async () => {
    const { helia } = await node()
    const root = await putHostileDir(helia.blockstore, [
      { name: 'config', data: 'CONFIG' },
      { name: 'keys', children: [{ name: KEY, data: 'KEY' }, { name: '../../evil', data: 'evil' }, { name: '..', data: 'up' }] },
      { name: 'snapshots', children: [{ name: '../../../snap-evil', data: 'evil' }] },
      { name: 'index', children: [] },
      { name: 'data', children: [{ name: 'ab', children: [{ name: PACK, data: 'PACK' }, { name: '../../../../pack-evil', data: 'evil' }] }, { name: '..', children: [{ name: '../x', data: 'evil' }] }] }
    ])
    const backend = await createIpfsBackend({ helia }, { root })
    expect((await backend.list('keys')).map(f => f.name)).toEqual([KEY])
    expect(await backend.list('snapshots')).toEqual([])
    expect(await backend.list('data')).toEqual([{ name: PACK, size: 4 }])

    const parent = join(base, 'export')
    mkdirSync(parent)
    const out = join(parent, 'repo')
    const res = await exportRepo(backend, out)
    expect(res.files).toBe(3)
    expect(readdirSync(parent)).toEqual(['repo'])
    expect(readdirSync(base)).toEqual(['export'])
    expect(readdirSync(join(out, 'keys'))).toEqual([KEY])
    expect(readdirSync(join(out, 'snapshots'))).toEqual([])
    expect(readFileSync(join(out, 'data', 'ab', PACK), 'utf8')).toBe('PACK')
  })

  it('handlePath refuses what is no restic file name', () => {
    for (const name of ['../../evil', '..', '', 'A'.repeat(64), `${KEY}/x`]) expect(() => handlePath({ type: 'keys', name })).toThrow(InvalidFileNameError)
    expect(handlePath({ type: 'data', name: PACK })).toBe(`data/ab/${PACK}`)
  })

  it('a REST listing with "../config" is not turned into URLs', async () => {
    const asked: string[] = []
    const server = createServer((req, res) => {
      asked.push(`${req.method ?? ''} ${req.url ?? ''}`)
      if (req.url === '/locks/') {
        res.setHeader('content-type', 'application/vnd.x.restic.rest.v2')
        res.end(JSON.stringify([{ name: '../config', size: 1 }, { name: KEY, size: 2 }]))
        return
      }
      res.statusCode = 200
      res.end()
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as { port: number }
      const rest = new RestBackend({ url: `http://127.0.0.1:${port}/` })
      const locks = await rest.list('locks')
      expect(locks.map(l => l.name)).toEqual([KEY])
      await expect(rest.remove({ type: 'locks', name: '../config' })).rejects.toBeInstanceOf(InvalidFileNameError)
      expect(asked).toEqual(['GET /locks/'])
    } finally {
      server.close()
    }
  })
})
