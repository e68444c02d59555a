/**
 * Shared by the Kubo and Cluster keeper tests: real UnixFS DAGs (a file of several MiB, a folder)
 * in a real blockstore, a blockstore view that tampers with one block, a fresh Helia peer that
 * fetches a DAG back over bitswap, and a free port with nothing listening.
 */
import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core'
import { exporter } from 'ipfs-unixfs-exporter'
import { addAll, addBytes } from '../../../src/ipfs/add/add.js'
import { walkDag } from '../../../src/ipfs/car/walk.js'
import { createTestPeer } from '../../../src/node/network/test-peer.js'
import { pseudoRandom } from './helpers.js'
import type { ReadableStore } from '../../../src/ipfs/car/walk.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'
import type { CID } from 'multiformats/cid'

export interface Source {
  blockstore: MemoryBlockstore
  file: { root: CID, bytes: Uint8Array }
  folder: { root: CID, files: Map<string, Uint8Array> }
}

/** A 9 MiB file (more than one 8 MiB CAR part) and a small folder, in a fresh blockstore. */
export async function makeSource (seed: string, fileBytes = 9 * 1024 * 1024): Promise<Source> {
  const blockstore = new MemoryBlockstore()
  const bytes = pseudoRandom(`${seed}/file`, fileBytes)
  const file = await addBytes(blockstore, bytes)
  const files = new Map<string, Uint8Array>([
    ['folder/readme.txt', new TextEncoder().encode(`hello from ${seed}\n`)],
    ['folder/data/one.bin', pseudoRandom(`${seed}/one`, 300_000)],
    ['folder/data/two.bin', pseudoRandom(`${seed}/two`, 70_000)]
  ])
  const [folder] = await addAll(blockstore, [...files].map(([path, content]) => ({ path, content: [content] })))
  if (folder === undefined) throw new Error('no folder root')
  return { blockstore, file: { root: file.cid, bytes }, folder: { root: folder.cid, files } }
}

/** `store` with the bytes of `victim` altered (same length): what a corrupted local store would send. */
export function tampered (store: ReadableStore, victim: CID): ReadableStore {
  return {
    has: async (cid, options) => await store.has(cid, options),
    get: async function * (cid, options) {
      for await (const chunk of store.get(cid, options)) {
        if (!cid.equals(victim)) {
          yield chunk
          continue
        }
        const copy = Uint8Array.from(chunk)
        copy[copy.byteLength - 1] = (copy[copy.byteLength - 1] ?? 0) ^ 0xff
        yield copy
      }
    }
  }
}

/** Some block of the DAG that is not the root (a leaf or inner node). */
export async function someBlockUnder (store: ReadableStore, root: CID): Promise<CID> {
  let last: CID | undefined
  for await (const { cid } of walkDag(store, root)) last = cid
  if (last === undefined || last.equals(root)) throw new Error('the DAG has a single block')
  return last
}

/**
 * A fresh Helia peer connected only to the local network fetches the whole DAG over bitswap;
 * resolves with the file's bytes read back through the UnixFS exporter from that peer.
 */
export async function fetchFileOverBitswap (net: LocalNetwork, root: CID): Promise<Uint8Array> {
  const peer = await createTestPeer()
  try {
    await peer.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
    const entry = await exporter(root, peer.blockstore, { signal: AbortSignal.timeout(60_000) })
    if (entry.type !== 'file') throw new Error(`${root} is a ${entry.type}, not a file`)
    const chunks: Uint8Array[] = []
    for await (const c of entry.content({ signal: AbortSignal.timeout(60_000) })) chunks.push(c)
    return Buffer.concat(chunks)
  } finally {
    await peer.stop()
  }
}

/** Every file under a folder, fetched by a fresh peer over bitswap: path (from the root's name) → bytes. */
export async function fetchFolderOverBitswap (net: LocalNetwork, root: CID, rootName: string): Promise<Map<string, Uint8Array>> {
  const peer = await createTestPeer()
  const out = new Map<string, Uint8Array>()
  try {
    await peer.libp2p.dial(multiaddr(net.relayAddrs[0] ?? ''), { signal: AbortSignal.timeout(10_000) })
    const walk = async (cid: CID, path: string): Promise<void> => {
      const entry = await exporter(cid, peer.blockstore, { signal: AbortSignal.timeout(30_000) })
      if (entry.type === 'directory') {
        for await (const child of entry.entries({ signal: AbortSignal.timeout(30_000) })) await walk(child.cid, `${path}/${child.name}`)
      } else if (entry.type === 'file' || entry.type === 'raw') {
        const chunks: Uint8Array[] = []
        for await (const c of entry.content({ signal: AbortSignal.timeout(30_000) })) chunks.push(c)
        out.set(path, Buffer.concat(chunks))
      }
    }
    await walk(root, rootName)
    return out
  } finally {
    await peer.stop()
  }
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    })
  })
}
