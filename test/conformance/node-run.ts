/**
 * Runs the conformance cases against the local network peer's trustless gateway: a real
 * `startLocalNetwork` on 127.0.0.1 whose blockstore holds the fixture CARs, and whose record store
 * holds the fixture IPNS records (PUT over its Routing V1 API, so they are validated on the way in).
 */
import { MemoryBlockstore } from 'blockstore-core'
import { startLocalNetwork } from '../../src/node/network/index.js'
import { allCases } from './cases/index.js'
import { FIXTURE_RECORDS, openRecord } from './fixtures.js'
import { loadFixtures } from './load.js'
import { runCases } from './runner.js'
import type { ConformanceReport, Transport } from './types.js'

export function httpTransport (baseUrl: string): Transport {
  return async (request) => {
    const res = await fetch(baseUrl + request.path, { method: request.method ?? 'GET', headers: request.headers, redirect: 'manual', signal: AbortSignal.timeout(20_000) })
    const headers: Record<string, string> = {}
    res.headers.forEach((value, name) => { headers[name] = value })
    let body: Uint8Array
    try { body = new Uint8Array(await res.arrayBuffer()) } catch { body = new Uint8Array(); headers['x-cairn-body-error'] = 'the body stream failed' }
    return { status: res.status, headers, body }
  }
}

export async function runNodeConformance (): Promise<ConformanceReport> {
  const blockstore = new MemoryBlockstore()
  await loadFixtures(blockstore)
  const net = await startLocalNetwork({ blockstore, pullOnLookup: false })
  try {
    for (const file of FIXTURE_RECORDS) {
      const r = await openRecord(file)
      const res = await fetch(`${net.httpUrl}/routing/v1/ipns/${r.name}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.ipfs.ipns-record' }, body: new Uint8Array(r.bytes) })
      if (!res.ok) throw new Error(`the local network refused fixture record ${file}: ${res.status} ${await res.text()}`)
    }
    return await runCases(allCases, 'node', httpTransport(net.gatewayUrl))
  } finally {
    await net.stop()
  }
}
