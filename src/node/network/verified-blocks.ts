/**
 * A blockstore on disk whose reads are checked against their CIDs: a block file damaged on disk is
 * never served to the gateway or bitswap as if it were the block; the read fails with a
 * `NetworkStoreError` that says where the file is and what to do. Blocks are small (bitswap sends
 * at most a few MiB), so each is read whole, hashed, and then handed on.
 */
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { equalBytes } from '../../core/bytes.js'
import { NetworkStoreError } from './errors.js'
import type { Blockstore } from 'interface-blockstore'
import type { CID } from 'multiformats/cid'
import type { MultihashHasher } from 'multiformats/hashes/interface'

const HASHERS = new Map<number, MultihashHasher>([[sha256.code, sha256], [sha512.code, sha512]])

function concat (chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let at = 0
  for (const c of chunks) { out.set(c, at); at += c.byteLength }
  return out
}

/** `inner` with `get` checking each block's hash (sha2-256 and sha2-512; other hashes pass as read). */
export function verifiedBlocks<B extends Blockstore> (inner: B, where: string): B {
  const get = async function * (cid: CID, options?: Parameters<Blockstore['get']>[1]): AsyncGenerator<Uint8Array> {
    const chunks: Uint8Array[] = []
    for await (const chunk of inner.get(cid, options)) chunks.push(chunk)
    const bytes = concat(chunks)
    const hasher = HASHERS.get(cid.multihash.code)
    if (hasher !== undefined && !equalBytes((await hasher.digest(bytes)).digest, cid.multihash.digest)) {
      throw new NetworkStoreError(`The block ${cid.toString()} in ${where} does not match its CID: its file is damaged. Move ${where} aside (pinned DAGs must then be pinned again), or restore it from a backup.`)
    }
    yield bytes
  }
  return new Proxy(inner, {
    get (target, prop) {
      if (prop === 'get') return get
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  })
}
