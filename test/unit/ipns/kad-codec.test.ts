/**
 * The Kademlia codec is generated, not written by hand: src/ipfs/ipns/kad/dht.proto is the
 * dht.proto @libp2p/kad-dht ships, and dht.ts is what protons makes of it. An upgrade of either
 * that changes them fails here: run `npm run gen:protos` (after copying the new dht.proto).
 */
import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const here = fileURLToPath(new URL('../../../src/ipfs/ipns/kad/', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'cairn-protons-'))
afterAll(() => { rmSync(tmp, { recursive: true, force: true, maxRetries: 5 }) })

function withoutComments (proto: string): string {
  return proto.split('\n').filter(l => !l.startsWith('//')).join('\n').trim()
}

describe('the generated Kademlia codec', () => {
  it('comes from the dht.proto that @libp2p/kad-dht ships', () => {
    const shipped = fileURLToPath(new URL('../../../node_modules/@libp2p/kad-dht/src/message/dht.proto', import.meta.url))
    expect(withoutComments(readFileSync(join(here, 'dht.proto'), 'utf8'))).toBe(withoutComments(readFileSync(shipped, 'utf8')))
  })

  it('is what protons generates from it now', async () => {
    copyFileSync(join(here, 'dht.proto'), join(tmp, 'dht.proto'))
    const bin = fileURLToPath(new URL('../../../node_modules/.bin/protons', import.meta.url))
    await run(bin, [join(tmp, 'dht.proto')])
    expect(readFileSync(join(tmp, 'dht.ts'), 'utf8')).toBe(readFileSync(join(here, 'dht.ts'), 'utf8'))
  })
})
