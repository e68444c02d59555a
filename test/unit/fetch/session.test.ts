/**
 * The block session against two real trustless gateways on loopback: the first block is raced,
 * the winner alone serves the next ones, a failing winner is replaced, and wrong bytes are refused.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBlockSession } from '../../../src/ipfs/fetch/session.js'
import { TamperedContentError } from '../../../src/ipfs/fetch/errors.js'
import type { Server } from 'node:http'

interface Gateway { url: string, requests: string[], mode: 'ok' | 'fail' | 'tamper', server: Server }

const blocks = new Map<string, Uint8Array>()
const gateways: Gateway[] = []

async function block (): Promise<CID> {
  const bytes = new Uint8Array(randomBytes(1000))
  const cid = CID.createV1(raw.code, await sha256.digest(bytes))
  blocks.set(cid.toString(), bytes)
  return cid
}

async function gateway (): Promise<Gateway> {
  const g: Gateway = { url: '', requests: [], mode: 'ok', server: createServer() }
  g.server.on('request', (req, res) => {
    const cid = /^\/ipfs\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? ''
    g.requests.push(cid)
    const bytes = blocks.get(cid)
    if (g.mode === 'fail' || bytes === undefined) { res.writeHead(500).end(); return }
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' }).end(g.mode === 'tamper' ? randomBytes(bytes.byteLength) : bytes)
  })
  await new Promise<void>(resolve => { g.server.listen(0, '127.0.0.1', resolve) })
  const addr = g.server.address()
  if (addr === null || typeof addr === 'string') throw new Error('no port')
  g.url = `http://127.0.0.1:${addr.port}`
  gateways.push(g)
  return g
}

let a: Gateway
let b: Gateway

beforeAll(async () => {
  a = await gateway()
  b = await gateway()
})

afterAll(async () => {
  await Promise.all(gateways.map(async g => { await new Promise(resolve => g.server.close(resolve)) }))
})

describe('a block session', () => {
  it('races the first block, then asks only the winner; a failing winner is replaced', async () => {
    a.mode = 'ok'
    b.mode = 'ok'
    const [c1, c2, c3, c4] = [await block(), await block(), await block(), await block()]
    const store = new MemoryBlockstore()
    const session = createBlockSession({ blockstore: store }, { gateways: [a.url, b.url] })
    expect(session.source).toBeUndefined()
    expect(await session.block(c1)).toEqual(blocks.get(c1.toString()))
    const winner = session.source === a.url ? a : b
    const loser = winner === a ? b : a
    expect(session.source).toBe(winner.url)
    const loserBefore = loser.requests.length
    expect(await session.block(c2)).toEqual(blocks.get(c2.toString()))
    expect(await session.block(c3)).toEqual(blocks.get(c3.toString()))
    expect(loser.requests.length).toBe(loserBefore)
    expect(winner.requests.filter(r => r === c2.toString() || r === c3.toString()).length).toBe(2)
    // a block already here is not asked for again
    const winnerBefore = winner.requests.length
    expect(await session.block(c2)).toEqual(blocks.get(c2.toString()))
    expect(winner.requests.length).toBe(winnerBefore)
    // the winner breaks: the next block is raced again and the other gateway takes over
    winner.mode = 'fail'
    expect(await session.block(c4)).toEqual(blocks.get(c4.toString()))
    expect(session.source).toBe(loser.url)
    expect(await store.has(c4)).toBe(true)
  })

  it('refuses bytes that do not match the CID, naming the gateway', async () => {
    a.mode = 'tamper'
    b.mode = 'ok'
    const c = await block()
    const session = createBlockSession({ blockstore: new MemoryBlockstore() }, { gateways: [a.url, b.url] })
    expect(await session.block(c)).toEqual(blocks.get(c.toString()))
    expect(session.source).toBe(b.url)
    b.mode = 'tamper'
    const d = await block()
    const err = await session.block(d).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TamperedContentError)
    expect((err as TamperedContentError).message).toContain(a.url)
  })
})
