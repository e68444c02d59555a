/**
 * Test helpers: a real Delegated Routing V1 HTTP server (the Helia one, on fastify) backed by a
 * Helia node whose only router is a small in-memory IPNS store; a loopback DoH JSON server; and a
 * protobuf encoder for hand-made (tampered) records.
 */
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { createDelegatedRoutingV1HttpApiServer } from '@helia/delegated-routing-v1-http-api-server'
import { NotFoundError } from '@libp2p/interface'
import { MemoryBlockstore } from 'blockstore-core'
import { MemoryDatastore } from 'datastore-core'
import { createHeliaLight } from 'helia'
import type { IpnsEntryFields } from '../../../src/ipfs/ipns/record-codec.js'
import type { Router } from '@helia/interface'
import type { AddressInfo } from 'node:net'

export const FIXTURES = new URL('../../fixtures/ipns/', import.meta.url)

export interface VectorEntry {
  file: string
  name: string
  description: string
  sha256: string
  expected: 'valid' | 'invalid'
  value: string | null
}

export function loadVectors (): VectorEntry[] {
  return (JSON.parse(readFileSync(new URL('expected.json', FIXTURES), 'utf8')) as { records: VectorEntry[] }).records
}

export function loadRecord (file: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(file, FIXTURES)))
}

/**
 * An in-memory IPNS router. It keeps the LAST record put for each key (no selection), so a test can
 * make a router serve an older record and check that the client refuses the rollback.
 */
export class MemoryIPNSRouter implements Router {
  readonly name = 'test-memory-ipns'
  readonly records = new Map<string, Uint8Array<ArrayBuffer>>()
  puts = 0

  async put (key: Uint8Array, value: Uint8Array): Promise<void> {
    this.puts++
    this.records.set(Buffer.from(key).toString('hex'), Uint8Array.from(value))
  }

  async get (key: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const v = this.records.get(Buffer.from(key).toString('hex'))
    if (v === undefined) throw new NotFoundError('no record for this key')
    return v
  }
}

export interface TestRoutingServer {
  url: string
  router: MemoryIPNSRouter
  close: () => Promise<void>
}

/** Starts the real Helia Routing V1 HTTP server on 127.0.0.1, port 0. */
export async function startRoutingServer (): Promise<TestRoutingServer> {
  const router = new MemoryIPNSRouter()
  const helia = createHeliaLight({
    blockstore: new MemoryBlockstore(),
    datastore: new MemoryDatastore(),
    routers: [router]
  })
  await helia.start()
  // The server's Helia type comes from its own copy of @helia/interface; only `routing` is used.
  const server = await createDelegatedRoutingV1HttpApiServer(helia as unknown as Parameters<typeof createDelegatedRoutingV1HttpApiServer>[0], { listen: { host: '127.0.0.1', port: 0 } })
  const address = server.server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}`,
    router,
    close: async () => {
      await server.close()
      await helia.stop()
    }
  }
}

/** A loopback DoH JSON server answering TXT queries from a table; records every query. */
export async function startDoHServer (txt: Record<string, string[]>): Promise<{ url: string, queries: string[], close: () => Promise<void> }> {
  const queries: string[] = []
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1')
    const name = u.searchParams.get('name') ?? ''
    queries.push(`${name} ${u.searchParams.get('type') ?? ''}`)
    const answers = (txt[name] ?? []).map(data => ({ name, type: 16, TTL: 120, data: `"${data}"` }))
    res.setHeader('content-type', 'application/dns-json')
    res.end(JSON.stringify({ Status: answers.length > 0 ? 0 : 3, Answer: answers }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/dns-query`,
    queries,
    close: async () => { await new Promise<void>(resolve => server.close(() => { resolve() })) }
  }
}

function varint (n: bigint): number[] {
  const out: number[] = []
  let v = n
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    out.push(byte)
  } while (v > 0n)
  return out
}

/** Raw protobuf fields of an IpnsEntry, for building tampered records by hand. */
export type RawEntry = IpnsEntryFields

/** Encodes an IpnsEntry (field numbers per the IPNS record spec). */
export function encodeEntry (e: RawEntry): Uint8Array {
  const out: number[] = []
  const bytes = (field: number, b: Uint8Array | undefined): void => {
    if (b === undefined) return
    out.push(...varint(BigInt(field << 3 | 2)), ...varint(BigInt(b.length)), ...b)
  }
  const int = (field: number, n: bigint | number | undefined): void => {
    if (n === undefined) return
    out.push(...varint(BigInt(field << 3)), ...varint(BigInt(n)))
  }
  bytes(1, e.value)
  bytes(2, e.signatureV1)
  int(3, e.validityType)
  bytes(4, e.validity)
  int(5, e.sequence)
  int(6, e.ttl)
  bytes(7, e.pubKey)
  bytes(8, e.signatureV2)
  bytes(9, e.data)
  return new Uint8Array(out)
}
