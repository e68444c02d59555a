/**
 * A DAG as a series of small, self-contained CARv1 parts (each: a header naming `root`, then whole
 * blocks), for keepers that take CAR uploads over `fetch`: Chromium cannot stream a request body
 * over HTTP/1.1, so a big DAG goes up as several bounded requests, never held whole.
 * Blocks come in `exportCar`'s order (root first, depth-first). A block larger than a part goes
 * alone in its own part.
 */
import { exportCar } from '../car/car.js'
import type { AbortOptions } from '../../core/options.js'
import type { ReadableStore } from '../car/walk.js'
import type { CID } from 'multiformats/cid'

/** About 8 MiB per part: small enough for any proxy's body limit, big enough to be few. */
export const DEFAULT_CAR_PART_BYTES = 8 * 1024 * 1024

export interface CarPart {
  /** The whole part: header and blocks. */
  car: Uint8Array
  /** Blocks in this part. */
  blocks: number
  /** 0, 1, 2, … */
  index: number
  /** True for the final part. */
  last: boolean
}

export interface CarPartsOptions extends AbortOptions {
  /** Largest part (header included), unless one block alone is larger. Default 8 MiB. */
  maxBytes?: number | undefined
}

function join (header: Uint8Array, sections: Uint8Array[], length: number): Uint8Array {
  const car = new Uint8Array(header.byteLength + length)
  car.set(header)
  let at = header.byteLength
  for (const s of sections) {
    car.set(s, at)
    at += s.byteLength
  }
  return car
}

/**
 * Yields the parts of the DAG under `root`, read from `blocks` (a missing block fails with
 * `MissingBlockError`). Each part is yielded once the next one is full (so `last` is known): at
 * most two parts are held, the one being sent and the one being filled.
 */
export async function * carParts (blocks: ReadableStore, root: CID, options: CarPartsOptions = {}): AsyncGenerator<CarPart> {
  const maxBytes = options.maxBytes ?? DEFAULT_CAR_PART_BYTES
  let header: Uint8Array | undefined
  let sections: Uint8Array[] = []
  let length = 0
  let index = 0
  let ready: CarPart | undefined
  for await (const chunk of exportCar(blocks, root, { signal: options.signal })) {
    if (header === undefined) {
      header = chunk
      continue
    }
    if (sections.length > 0 && header.byteLength + length + chunk.byteLength > maxBytes) {
      if (ready !== undefined) yield ready
      ready = { car: join(header, sections, length), blocks: sections.length, index: index++, last: false }
      sections = []
      length = 0
    }
    sections.push(chunk)
    length += chunk.byteLength
  }
  if (header === undefined) return
  if (sections.length > 0) {
    if (ready !== undefined) yield ready
    ready = { car: join(header, sections, length), blocks: sections.length, index, last: false }
  }
  if (ready !== undefined) yield { ...ready, last: true }
}
