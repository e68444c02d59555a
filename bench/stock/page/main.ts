/**
 * The alternative Cairn is measured against: stock Helia (createHeliaLight, as Helia's docs
 * recommend for browsers) with @helia/unixfs and blockstore-idb/datastore-idb, nothing of Cairn's.
 *
 *   ?mode=net:   also libp2p (withLibp2pLight: WebSockets, circuit relay, noise, yamux, identify,
 *                bootstrap with the local network's relay from ./cairn-local.json) and bitswap,
 *                loopback only; the page shows its peer ID once started (`stockBench.readyAt`).
 *   otherwise:   storage only, for add, pin, unpin and GC (stock Helia's GC fails when libp2p has
 *                no content router, so this mode has no libp2p).
 *
 * The import settings are the two IPIP-499 profiles spelled out, as a Helia user would pass them.
 */
import { createHeliaLight } from 'helia'
import { withLibp2pLight } from '@helia/libp2p'
import { withBitswap } from '@helia/bitswap'
import { unixfs } from '@helia/unixfs'
import { IDBBlockstore } from 'blockstore-idb'
import { IDBDatastore } from 'datastore-idb'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { bootstrap } from '@libp2p/bootstrap'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import type { Helia } from '@helia/interface'
import type { AddOptions } from '@helia/unixfs'

const PROFILES: Record<string, Omit<AddOptions, 'mtime' | 'mode' | 'wrapWithDirectory'>> = {
  'unixfs-v1-2025': { cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 1_048_576 }), layout: balanced({ maxChildrenPerNode: 1024 }) },
  'unixfs-v0-2015': { cidVersion: 0, rawLeaves: false, chunker: fixedSize({ chunkSize: 262_144 }), layout: balanced({ maxChildrenPerNode: 174 }) }
}

async function * chunks (file: Blob): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}

async function start (net: boolean): Promise<{ helia: Helia, peerId?: string }> {
  const blockstore = new IDBBlockstore('stock/blocks')
  const datastore = new IDBDatastore('stock/data')
  await Promise.all([blockstore.open(), datastore.open()])
  const light = createHeliaLight({ blockstore, datastore })
  if (!net) {
    await light.start()
    return { helia: light }
  }
  const info = await (await fetch('./cairn-local.json')).json() as { relayAddrs: string[] }
  const node = withBitswap(withLibp2pLight(light, {
    addresses: { listen: ['/p2p-circuit'] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: info.relayAddrs.length > 0 ? [bootstrap({ list: info.relayAddrs, timeout: 0 })] : [],
    // The browser's default gater refuses ws:// and loopback addresses.
    connectionGater: { denyDialMultiaddr: async () => false },
    services: { identify: identify() }
  }))
  await node.start()
  return { helia: node, peerId: node.libp2p.peerId.toString() }
}

const net = new URLSearchParams(location.search).get('mode') === 'net'
const started = start(net).then(({ helia, peerId }) => {
  if (peerId !== undefined) {
    (document.getElementById('peer-id') as HTMLElement).textContent = peerId
    bench.readyAt = performance.now()
  }
  return helia
})

async function add (profile: string, entries: Array<{ path: string, file: Blob }>, wrap: boolean): Promise<{ ms: number, roots: string[] }> {
  const helia = await started
  const fs = unixfs(helia)
  const options = { ...PROFILES[profile], reduceSingleLeafToSelf: true }
  const t0 = performance.now()
  const roots: CID[] = []
  if (!wrap) {
    for (const e of entries) roots.push(await fs.addByteStream(chunks(e.file), options))
  } else {
    // Files under one folder: the last entry addAll yields is the folder.
    let last: CID | undefined
    for await (const r of fs.addAll(entries.map(e => ({ path: e.path, content: chunks(e.file) })), options)) last = r.cid
    if (last !== undefined) roots.push(last)
  }
  for (const root of roots) for await (const _ of helia.pins.add(root)) { /* pinning */ }
  return { ms: performance.now() - t0, roots: roots.map(r => r.toString()) }
}

async function unpinAndGc (roots: string[]): Promise<{ unpinMs: number, gcMs: number }> {
  const helia = await started
  const t0 = performance.now()
  for (const r of roots) for await (const _ of helia.pins.rm(CID.parse(r))) { /* unpinning */ }
  const t1 = performance.now()
  await helia.gc()
  return { unpinMs: t1 - t0, gcMs: performance.now() - t1 }
}

const bench: { readyAt?: number, ready: Promise<boolean>, add: typeof add, unpinAndGc: typeof unpinAndGc } = {
  ready: started.then(() => true),
  add,
  unpinAndGc
}
;(globalThis as unknown as { stockBench: typeof bench }).stockBench = bench
