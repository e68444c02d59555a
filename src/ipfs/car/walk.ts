/**
 * Depth-first walk of a DAG in the local store, each block once, in the order Kubo writes a CAR
 * (a block, then its links left to right). Never asks the network: a missing block is an error
 * that names it.
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { MissingBlockError, UnsupportedCodecError } from './errors.js'
import type { AbortOptions } from '../../core/options.js'
import type { Blockstore } from 'interface-blockstore'

export type ReadableStore = Pick<Blockstore, 'get' | 'has'>

export async function readBlock (store: ReadableStore, cid: CID, options: AbortOptions = {}): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const part of store.get(cid, options)) {
    parts.push(part)
    length += part.byteLength
  }
  if (parts.length === 1 && parts[0] !== undefined) return parts[0]
  const out = new Uint8Array(length)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

/** The CIDs a block links to, in order. */
export function linksOf (cid: CID, bytes: Uint8Array): CID[] {
  switch (cid.code) {
    case raw.code:
      return []
    case dagPb.code:
      return dagPb.decode(bytes).Links.map(l => l.Hash)
    case dagCbor.code:
      return [...cidsIn(dagCbor.decode(bytes))]
    case dagJson.code:
      return [...cidsIn(dagJson.decode(bytes))]
    default:
      throw new UnsupportedCodecError(`Block ${cid} uses codec 0x${cid.code.toString(16)}, whose links Cairn cannot read. Only dag-pb, raw, dag-cbor and dag-json DAGs can be walked.`)
  }
}

function * cidsIn (value: unknown): Generator<CID> {
  const cid = CID.asCID(value)
  if (cid !== null) {
    yield cid
    return
  }
  if (Array.isArray(value)) {
    for (const v of value) yield * cidsIn(v)
  } else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const v of Object.values(value)) yield * cidsIn(v)
  }
}

export interface WalkedBlock {
  cid: CID
  bytes: Uint8Array
}

/**
 * Yield every block of the DAG under `root`. Identity-hashed CIDs carry their data inline and
 * are yielded without touching the store.
 */
export async function * walkDag (store: ReadableStore, root: CID, options: AbortOptions = {}): AsyncGenerator<WalkedBlock> {
  const seen = new Set<string>()
  // Stack of iterators gives depth-first, left-to-right order without recursion limits.
  const stack: Array<{ cid: CID, parent?: CID }> = [{ cid: root }]
  while (stack.length > 0) {
    options.signal?.throwIfAborted()
    const { cid, parent } = stack.pop() as { cid: CID, parent?: CID }
    const key = cid.toString()
    if (seen.has(key)) continue
    seen.add(key)
    let bytes: Uint8Array
    if (cid.multihash.code === identity.code) {
      bytes = cid.multihash.digest
    } else {
      if (!(await store.has(cid, options))) {
        const where = parent === undefined ? 'It is the root of the DAG.' : `It is linked from ${parent}.`
        throw new MissingBlockError(`Block ${cid} is not in the local store. ${where} Fetch the whole DAG first (or import a CAR that contains it), then try again.`, { cid: cid.toString() })
      }
      bytes = await readBlock(store, cid, options)
    }
    yield { cid, bytes }
    const links = linksOf(cid, bytes)
    for (let i = links.length - 1; i >= 0; i--) {
      const link = links[i]
      if (link !== undefined && !seen.has(link.toString())) stack.push({ cid: link, parent: cid })
    }
  }
}
