/**
 * Loopback trustless gateways for the fetch tests: each serves `GET /ipfs/<cid>?format=raw` from a
 * blockstore, honestly, with tampered bytes, or never answering; plus the URL of a closed port.
 */
import { createServer } from 'node:http'
import { CID } from 'multiformats/cid'
import type { Blockstore } from 'interface-blockstore'
import type { AddressInfo } from 'node:net'

export type GatewayMode = 'honest' | 'tampered' | 'hang'

export interface TestGateway {
  url: string
  /** Every path requested, in order. */
  requests: string[]
  close: () => Promise<void>
}

async function readBlock (blockstore: Blockstore, cid: CID): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of blockstore.get(cid)) parts.push(c)
  return Buffer.concat(parts)
}

/** `prefix` (e.g. `/gw/v1`) serves blocks under `<prefix>/ipfs/<cid>` only, like a gateway behind a path. */
export async function startGateway (blockstore: Blockstore, mode: GatewayMode, options: { prefix?: string } = {}): Promise<TestGateway> {
  const requests: string[] = []
  const prefix = options.prefix ?? ''
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x')
      requests.push(url.pathname + url.search)
      // Like real gateways: every answer, errors included, is readable from a page on another origin.
      res.setHeader('access-control-allow-origin', '*')
      if (mode === 'hang') return // never answers; the client's timeout must end it
      const m = url.pathname.startsWith(prefix + '/') ? /^\/ipfs\/([^/]+)$/.exec(url.pathname.slice(prefix.length)) : null
      if (m === null || url.searchParams.get('format') !== 'raw') { res.writeHead(400).end('raw blocks only'); return }
      const cid = CID.parse(m[1] ?? '')
      if (!await blockstore.has(cid)) { res.writeHead(404).end('not found'); return }
      const bytes = Buffer.from(await readBlock(blockstore, cid))
      if (mode === 'tampered') {
        // Same length, one bit flipped in the middle: only the hash check can tell.
        const i = Math.floor(bytes.length / 2)
        bytes[i] = (bytes[i] ?? 0) ^ 0x01
      }
      res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw', 'content-length': bytes.length, 'access-control-allow-origin': '*' })
      res.end(bytes)
    })().catch(err => { res.writeHead(500).end(String(err)) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}

/** A URL on a port that was just freed: connections are refused. */
export async function deadGatewayUrl (): Promise<string> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  return `http://127.0.0.1:${port}`
}

/** Deterministic pseudo-random bytes (so content is not compressible or repetitive). */
export function pseudoRandomBytes (length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
