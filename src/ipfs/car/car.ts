/**
 * CAR (Content Addressable aRchive) import and export, streaming both ways.
 *
 * The reader is our own small CARv1/CARv2 parser rather than `@ipld/car`'s iterator, so that every
 * failure can say *where*: the byte offset, and the CID of the block being read. Every block's
 * bytes are hashed and compared with its CID before anything is stored.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { varint } from 'multiformats'
import { emit } from '../../core/options.js'
import { pin } from '../pins/pins.js'
import { withSharedLock } from '../pins/lock.js'
import { BadBlockError, InvalidCarError, TruncatedCarError } from './errors.js'
import { walkDag } from './walk.js'
import type { AbortOptions, OperationOptions, ProgressEvent } from '../../core/options.js'
import type { PinNode } from '../pins/pins.js'
import type { ReadableStore } from './walk.js'

/** Largest block section accepted; Kubo's own limit for a block is 2 MiB (+ CID). */
const MAX_SECTION = 4 * 1024 * 1024
const MAX_HEADER = 64 * 1024
const CARV2_PRAGMA = Uint8Array.from([0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x02])

const HASHERS = new Map<number, { digest: (b: Uint8Array) => Promise<Digest.Digest<number, number>> | Digest.Digest<number, number> }>([
  [sha256.code, sha256],
  [sha512.code, sha512],
  [identity.code, identity]
])

/** Pulls exact byte counts out of a stream of chunks, counting the offset. */
class ByteReader {
  offset = 0
  /** Chunks from index `#first` on are unread; that one may be partly read (from `#head`). */
  #chunks: Uint8Array[] = []
  #first = 0
  #head = 0
  #buffered = 0
  #iterator: AsyncIterator<Uint8Array>
  #done = false

  constructor (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.#iterator = (Symbol.asyncIterator in source)
      ? source[Symbol.asyncIterator]()
      : (async function * () { yield * source })()
  }

  /** Make at least `n` bytes available; false if the stream ends first. */
  async #fill (n: number): Promise<boolean> {
    while (this.#buffered < n && !this.#done) {
      const next = await this.#iterator.next()
      if (next.done === true) {
        this.#done = true
        break
      }
      if (next.value.byteLength === 0) continue
      this.#chunks.push(next.value)
      this.#buffered += next.value.byteLength
    }
    return this.#buffered >= n
  }

  /** Copy (or view) the next `n` buffered bytes without consuming them. */
  #peek (n: number): Uint8Array {
    const first = this.#chunks[this.#first]
    if (first !== undefined && first.byteLength - this.#head >= n) return first.subarray(this.#head, this.#head + n)
    const out = new Uint8Array(n)
    let at = 0
    let head = this.#head
    for (let i = this.#first; i < this.#chunks.length && at < n; i++) {
      const chunk = this.#chunks[i] as Uint8Array
      const take = Math.min(n - at, chunk.byteLength - head)
      out.set(chunk.subarray(head, head + take), at)
      at += take
      head = 0
    }
    return out
  }

  #consume (n: number): void {
    this.#buffered -= n
    this.offset += n
    let left = n
    while (left > 0) {
      const first = this.#chunks[this.#first] as Uint8Array
      const rest = first.byteLength - this.#head
      if (rest > left) {
        this.#head += left
        break
      }
      left -= rest
      this.#first++
      this.#head = 0
    }
    // Drop consumed chunks now and then (not on every read: that would be quadratic).
    if (this.#first > 1024 && this.#first * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first)
      this.#first = 0
    }
  }

  /** Up to `n` next bytes, without consuming them (fewer only at the end of the stream). */
  async glimpse (n: number): Promise<Uint8Array> {
    await this.#fill(n)
    return this.#peek(Math.min(n, this.#buffered))
  }

  /** True at a clean end of stream. */
  async atEnd (): Promise<boolean> {
    return !(await this.#fill(1))
  }

  async read (n: number, what: string): Promise<Uint8Array> {
    if (!(await this.#fill(n))) {
      const end = this.offset + this.#buffered
      throw new TruncatedCarError(`The CAR ends at byte ${end} in the middle of ${what} (needed ${n} bytes from byte ${this.offset}, found ${this.#buffered}). The file is truncated: download or export it again.`, { offset: end })
    }
    const out = this.#peek(n)
    this.#consume(n)
    return out
  }

  async readVarint (what: string): Promise<number> {
    await this.#fill(10)
    if (this.#buffered === 0) await this.read(1, what) // throws: nothing left
    let value: number
    let length: number
    try {
      [value, length] = varint.decode(this.#peek(Math.min(10, this.#buffered)))
    } catch (err) {
      if (this.#done) {
        const end = this.offset + this.#buffered
        throw new TruncatedCarError(`The CAR ends at byte ${end} inside the length of ${what}. The file is truncated: download or export it again.`, { offset: end, cause: err })
      }
      throw new InvalidCarError(`Bad length prefix for ${what} at byte ${this.offset}. This is not a valid CAR file.`, { offset: this.offset, cause: err })
    }
    this.#consume(length)
    return value
  }

  async skip (n: number, what: string): Promise<void> {
    let left = n
    while (left > 0) {
      const step = Math.min(left, 1 << 20)
      await this.read(step, what)
      left -= step
    }
  }
}

function u64le (bytes: Uint8Array, at: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const value = view.getBigUint64(at, true)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('value too large')
  return Number(value)
}

function decodeHeader (bytes: Uint8Array, offset: number): { version: number, roots: CID[] } {
  let header: unknown
  try {
    header = dagCbor.decode(bytes)
  } catch (err) {
    throw new InvalidCarError(`The CAR header at byte ${offset} is not valid DAG-CBOR. This is not a CAR file, or it is corrupt.`, { offset, cause: err })
  }
  const h = header as { version?: unknown, roots?: unknown }
  if (h === null || typeof h !== 'object' || (h.version !== 1 && h.version !== 2)) {
    throw new InvalidCarError(`The CAR header at byte ${offset} has no supported version (expected 1 or 2). This is not a CAR file Cairn can read.`, { offset })
  }
  if (h.version === 2) return { version: 2, roots: [] }
  const roots = Array.isArray(h.roots) ? h.roots.map(r => CID.asCID(r)) : null
  if (roots === null || roots.some(r => r === null)) {
    throw new InvalidCarError(`The CAR header at byte ${offset} has no valid "roots" list.`, { offset })
  }
  return { version: 1, roots: roots as CID[] }
}

/** Parse a CID from the start of a block section; returns it and its byte length. */
function readCid (section: Uint8Array, offset: number): { cid: CID, length: number } {
  try {
    if (section[0] === 0x12 && section[1] === 0x20) {
      const bytes = section.subarray(0, 34)
      return { cid: CID.decode(bytes), length: 34 }
    }
    let at = 0
    const [version, l1] = varint.decode(section, at); at += l1
    const [codec, l2] = varint.decode(section, at); at += l2
    const [, l3] = varint.decode(section, at)
    const [digestLength, l4] = varint.decode(section, at + l3)
    const mhLength = l3 + l4 + digestLength
    if (version !== 1) throw new Error(`CID version ${version}`)
    const multihash = Digest.decode(section.subarray(at, at + mhLength))
    return { cid: CID.create(1, codec, multihash), length: at + mhLength }
  } catch (err) {
    throw new InvalidCarError(`The block at byte ${offset} does not start with a valid CID (${(err as Error).message}). The CAR is corrupt.`, { offset, cause: err })
  }
}

export interface CarBlock {
  cid: CID
  bytes: Uint8Array
  /** Offset of the block's section (its length prefix) in the CAR. */
  offset: number
}

/**
 * Read a CAR stream: first the roots, then each block with its hash checked. A block whose bytes
 * do not match its CID is reported through `onBadBlock` (and not yielded); with no handler it
 * throws `BadBlockError`.
 */
export async function readCar (
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  handlers: { onRoots?: (roots: CID[]) => void, onBadBlock?: (error: BadBlockError) => void } = {},
  options: AbortOptions = {}
): Promise<AsyncGenerator<CarBlock>> {
  const reader = new ByteReader(source)
  const headerOffset = reader.offset
  const headerLength = await reader.readVarint('the CAR header')
  if (headerLength === 0 || headerLength > MAX_HEADER) {
    throw new InvalidCarError(`The CAR header length at byte 0 is ${headerLength}, which is not plausible. This is not a CAR file.`, { offset: 0 })
  }
  const headerBytes = await reader.read(headerLength, 'the CAR header')
  let header = decodeHeader(headerBytes, headerOffset)
  let dataEnd = Infinity

  if (header.version === 2) {
    const pragma = Uint8Array.from([...varint.encodeTo(headerLength, new Uint8Array(varint.encodingLength(headerLength))), ...headerBytes])
    if (pragma.byteLength !== CARV2_PRAGMA.byteLength || pragma.some((b, i) => b !== CARV2_PRAGMA[i])) {
      throw new InvalidCarError('The CARv2 pragma is not the expected one. The CAR is corrupt.', { offset: 0 })
    }
    const v2 = await reader.read(40, 'the CARv2 header')
    const dataOffset = u64le(v2, 16)
    const dataSize = u64le(v2, 24)
    if (dataOffset < reader.offset) throw new InvalidCarError(`The CARv2 data offset ${dataOffset} points inside its own header.`, { offset: reader.offset - 40 })
    await reader.skip(dataOffset - reader.offset, 'the CARv2 padding')
    dataEnd = dataOffset + dataSize
    const innerOffset = reader.offset
    const innerLength = await reader.readVarint('the inner CARv1 header')
    if (innerLength === 0 || innerLength > MAX_HEADER) throw new InvalidCarError(`The inner CARv1 header length at byte ${innerOffset} is ${innerLength}, which is not plausible.`, { offset: innerOffset })
    header = decodeHeader(await reader.read(innerLength, 'the inner CARv1 header'), innerOffset)
    if (header.version !== 1) throw new InvalidCarError(`The CARv2 payload at byte ${innerOffset} is not a CARv1.`, { offset: innerOffset })
  }
  handlers.onRoots?.(header.roots)

  return (async function * () {
    let index = 0
    while (reader.offset < dataEnd && !(await reader.atEnd())) {
      options.signal?.throwIfAborted()
      const offset = reader.offset
      const sectionLength = await reader.readVarint(`block #${index}`)
      if (sectionLength === 0 && dataEnd !== Infinity) break // CARv2 zero padding after the data
      if (sectionLength > MAX_SECTION || sectionLength < 2) {
        throw new InvalidCarError(`Block #${index} at byte ${offset} claims a length of ${sectionLength} bytes, which is not plausible. The CAR is corrupt.`, { offset })
      }
      // Read the CID first so a truncated block can be named.
      const head = Math.min(sectionLength, 128)
      const glimpse = await reader.glimpse(head)
      if (glimpse.byteLength < head) {
        let named = ''
        try { named = ` ${readCid(glimpse, offset).cid}` } catch { /* too short to hold the CID */ }
        const end = reader.offset + glimpse.byteLength
        throw new TruncatedCarError(`The CAR is truncated: block${named} (#${index}, starting at byte ${offset}) needs ${sectionLength} bytes but the file ends at byte ${end}. Download or export it again.`, { offset: end })
      }
      const peek = await reader.read(head, `block #${index}`)
      let parsed: { cid: CID, length: number } | undefined
      try {
        parsed = readCid(peek, offset)
      } catch (err) {
        if (head === sectionLength) throw err // else: a CID longer than 128 bytes (identity); retry below
      }
      let rest: Uint8Array
      try {
        rest = await reader.read(sectionLength - head, `block #${index}`)
      } catch (err) {
        if (err instanceof TruncatedCarError && parsed !== undefined) {
          throw new TruncatedCarError(`The CAR is truncated: block ${parsed.cid} (#${index}, starting at byte ${offset}) needs ${sectionLength} bytes but the file ends at byte ${err.offset}. Download or export it again.`, { offset: err.offset, cause: err })
        }
        throw err
      }
      const section = new Uint8Array(sectionLength)
      section.set(peek)
      section.set(rest, head)
      const { cid, length: cidLength } = parsed ?? readCid(section, offset)
      const bytes = section.subarray(cidLength)

      const hasher = HASHERS.get(cid.multihash.code)
      if (hasher === undefined) {
        throw new InvalidCarError(`Block ${cid} at byte ${offset} uses hash function 0x${cid.multihash.code.toString(16)}, which Cairn cannot verify.`, { offset })
      }
      const digest = await hasher.digest(bytes)
      const expected = cid.multihash.digest
      const actual = digest.digest.subarray(0, expected.byteLength)
      if (actual.byteLength !== expected.byteLength || actual.some((b, i) => b !== expected[i])) {
        const error = new BadBlockError(`Block ${cid} (#${index}, at byte ${offset}) is corrupt: its bytes do not hash to its CID. Get the CAR again from a good source.`, { cid: cid.toString(), offset })
        if (handlers.onBadBlock === undefined) throw error
        handlers.onBadBlock(error)
      } else {
        yield { cid, bytes, offset }
      }
      index++
    }
  })()
}

export type CarImportProgressEvents =
  | ProgressEvent<'car:import:block', { cid: CID, bytes: number, offset: number }>
  | ProgressEvent<'car:import:root', { cid: CID }>

export interface CarImportOptions extends OperationOptions<CarImportProgressEvents> {
  /** Pin every root once all blocks are stored (default true). */
  pin?: boolean | undefined
}

export interface CarImportResult {
  roots: CID[]
  blocks: number
  bytes: number
}

/**
 * Import a CAR into the node: verify and store every block, then pin the roots. Bad blocks are
 * collected and reported together (`BadBlockError` naming each CID); then nothing is pinned.
 */
export async function importCar (node: PinNode, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: CarImportOptions = {}): Promise<CarImportResult> {
  return withSharedLock(node, options.signal, async () => {
    let roots: CID[] = []
    const bad: BadBlockError[] = []
    const blocks = await readCar(source, { onRoots: r => { roots = r }, onBadBlock: e => bad.push(e) }, options)
    let count = 0
    let bytes = 0
    for await (const block of blocks) {
      await node.blockstore.put(block.cid, block.bytes, { signal: options.signal })
      count++
      bytes += block.bytes.byteLength
      emit(options, 'car:import:block', { cid: block.cid, bytes: block.bytes.byteLength, offset: block.offset })
    }
    const firstBad = bad[0]
    if (firstBad !== undefined) {
      const list = bad.slice(0, 5).map(e => `${e.cid} (at byte ${e.offset})`).join(', ')
      throw new BadBlockError(`${bad.length} block(s) in the CAR do not match their CIDs: ${list}${bad.length > 5 ? ', …' : ''}. Nothing was pinned; get the CAR again from a good source.`, { cid: firstBad.cid, offset: firstBad.offset })
    }
    options.signal?.throwIfAborted()
    if (options.pin !== false) {
      for (const root of roots) {
        await pin(node, root, {})
        emit(options, 'car:import:root', { cid: root })
      }
    }
    return { roots, blocks: count, bytes }
  })
}

export type CarExportProgressEvents = ProgressEvent<'car:export:block', { cid: CID, bytes: number }>

/**
 * Stream the DAG under `root` as a CARv1 (root first, depth-first), reading only the local store.
 * A missing block fails with `MissingBlockError` naming it.
 */
export async function * exportCar (store: ReadableStore, root: CID, options: OperationOptions<CarExportProgressEvents> = {}): AsyncGenerator<Uint8Array> {
  const header = dagCbor.encode({ roots: [root], version: 1 })
  yield Uint8Array.from([...varint.encodeTo(header.byteLength, new Uint8Array(varint.encodingLength(header.byteLength))), ...header])
  for await (const { cid, bytes } of walkDag(store, root, { signal: options.signal })) {
    if (cid.multihash.code === identity.code) continue // the data is in the CID itself
    const cidBytes = cid.bytes
    const length = cidBytes.byteLength + bytes.byteLength
    const prefix = varint.encodeTo(length, new Uint8Array(varint.encodingLength(length)))
    const out = new Uint8Array(prefix.byteLength + length)
    out.set(prefix)
    out.set(cidBytes, prefix.byteLength)
    out.set(bytes, prefix.byteLength + cidBytes.byteLength)
    emit(options, 'car:export:block', { cid, bytes: bytes.byteLength })
    yield out
  }
}
