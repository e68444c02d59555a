/**
 * The gateway-conformance fixtures (test/fixtures/gateway-conformance/, copied from
 * ipfs/gateway-conformance): CARs read into memory, and the questions the Go specs ask of them
 * (`MustGetCid`, `MustGetRawData`, `MustGetDescendantsCids`, `MustGetCidsInHAMT`,
 * `MustGetCIDsInHAMTTraversal`), answered by walking the fixture DAG with the UnixFS exporter over
 * a store that records which blocks it was asked for, as the Go tooling's tracking DAG service does.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { CarReader } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { unmarshalIPNSRecord } from 'ipns'

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/gateway-conformance/', import.meta.url))

/** Every CAR a case table uses, relative to FIXTURES_DIR. */
export const FIXTURE_CARS = [
  'gateway-raw-block.car',
  'trustless_gateway_car/dir-with-dag-cbor-with-links.car',
  'trustless_gateway_car/dir-with-duplicate-files.car',
  'trustless_gateway_car/file-3k-and-3-blocks-missing-block.car',
  'trustless_gateway_car/single-layer-hamt-with-multi-block-files.car',
  'trustless_gateway_car/subdir-with-mixed-block-files.car',
  'trustless_gateway_car/subdir-with-two-single-block-files.car',
  'path_gateway_unixfs/dir-with-files.car',
  'path_gateway_unixfs/dir-with-percent-encoded-filename.car',
  'path_gateway_dag/dag-pb.car',
  'path_gateway_dag/gateway-json-cbor.car',
  'path_gateway_dag/plain-json.car',
  'path_gateway_dag/plain-cbor.car',
  'path_gateway_tar/fixtures.car',
  'gateway-cache/fixtures.car',
  'redirects_file/redirects.car',
  'redirects_file/redirects-spa.car',
  'dir_listing/fixtures.car',
  'path_gateway_unixfs/symlink.car',
  'path_gateway_tar/inside-root.car',
  'path_gateway_tar/outside-root.car',
  'path_gateway_dag/dag-json-traversal.car',
  'path_gateway_dag/dag-cbor-traversal.car'
] as const
export type FixtureCar = typeof FIXTURE_CARS[number]

/** IPNS records the cases use (valid until 2123), relative to FIXTURES_DIR. */
export const FIXTURE_RECORDS = [
  'ipns_records/k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2.ipns-record',
  'ipns_records/k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f_v2.ipns-record'
] as const

export interface FixtureBlock { cid: CID, bytes: Uint8Array }

class RecordingStore {
  readonly asked: CID[] = []
  constructor (private readonly blocks: Map<string, Uint8Array>) {}
  async * get (cid: CID): AsyncGenerator<Uint8Array> {
    this.asked.push(cid)
    const bytes = this.blocks.get(cid.toString())
    if (bytes === undefined) throw new Error(`fixture block ${cid.toString()} is missing`)
    yield bytes
  }
}

/** One CAR: its roots and blocks, and the Go tooling's questions about its DAG. */
export class Fixture {
  constructor (readonly name: string, readonly roots: CID[], readonly blocks: FixtureBlock[]) {}

  private get map (): Map<string, Uint8Array> {
    return new Map(this.blocks.map(b => [b.cid.toString(), b.bytes]))
  }

  private root (): CID {
    const root = this.roots[0]
    if (root === undefined) throw new Error(`${this.name} has no root`)
    return root
  }

  /** `MustGetCid(names…)`: the CID at a path of names under the CAR's root. */
  async cid (...names: string[]): Promise<string> {
    return (await this.node(...names)).cid.toString()
  }

  private async node (...names: string[]): Promise<{ cid: CID, asked: CID[] }> {
    const store = new RecordingStore(this.map)
    const entry = await exporter([this.root().toString(), ...names].join('/'), store)
    return { cid: entry.cid, asked: store.asked }
  }

  /** `MustGetRawData(names…)`: the block bytes at a path. */
  async rawData (...names: string[]): Promise<Uint8Array> {
    const cid = await this.cid(...names)
    const bytes = this.map.get(cid)
    if (bytes === undefined) throw new Error(`${cid} not in ${this.name}`)
    return bytes
  }

  /** The whole UnixFS file at a path. */
  async fileBytes (...names: string[]): Promise<Uint8Array> {
    const entry = await exporter([this.root().toString(), ...names].join('/'), new RecordingStore(this.map))
    if (entry.type !== 'file' && entry.type !== 'raw') throw new Error(`${names.join('/')} is a ${entry.type}`)
    const parts: Uint8Array[] = []
    for await (const p of entry.content()) parts.push(p)
    return new Uint8Array(Buffer.concat(parts))
  }

  /** `MustGetDescendantsCids(names…)`: every CID below the node, depth first, in link order. */
  async descendants (...names: string[]): Promise<string[]> {
    const out: string[] = []
    const map = this.map
    const walk = (cid: CID): void => {
      if (cid.code !== dagPb.code) return
      const bytes = map.get(cid.toString())
      if (bytes === undefined) return
      for (const link of dagPb.decode(bytes).Links) {
        out.push(link.Hash.toString())
        walk(link.Hash)
      }
    }
    walk(CID.parse(await this.cid(...names)))
    return out
  }

  /** `MustGetCidsInHAMT(names…)`: the shard nodes of a HAMT directory (root included), not its entries. */
  async cidsInHamt (...names: string[]): Promise<string[]> {
    const out: string[] = []
    const map = this.map
    const walk = (cid: CID): void => {
      const bytes = map.get(cid.toString())
      if (bytes === undefined) throw new Error(`${cid.toString()} not in ${this.name}`)
      const node = dagPb.decode(bytes)
      if (node.Data === undefined || UnixFS.unmarshal(node.Data).type !== 'hamt-sharded-directory') return
      out.push(cid.toString())
      for (const link of node.Links) {
        if ((link.Name ?? '').length === 2) walk(link.Hash)
      }
    }
    walk(CID.parse(await this.cid(...names)))
    return out
  }

  /** `MustGetCIDsInHAMTTraversal(path, child)`: the blocks read from the HAMT at `path` to find `child`. */
  async hamtTraversal (path: string[], child: string): Promise<string[]> {
    const { asked } = await this.node(...path, child)
    return asked.slice(path.length + 1, -1).map(c => c.toString())
  }
}

const cache = new Map<string, Promise<Fixture>>()

export async function openFixture (name: FixtureCar): Promise<Fixture> {
  let pending = cache.get(name)
  if (pending === undefined) {
    pending = (async () => {
      const reader = await CarReader.fromBytes(await readFile(FIXTURES_DIR + name))
      const blocks: FixtureBlock[] = []
      for await (const b of reader.blocks()) blocks.push({ cid: b.cid, bytes: b.bytes })
      return new Fixture(name, await reader.getRoots(), blocks)
    })()
    cache.set(name, pending)
  }
  return await pending
}

export interface FixtureRecord { file: string, name: string, value: string, bytes: Uint8Array }

export async function openRecord (file: typeof FIXTURE_RECORDS[number]): Promise<FixtureRecord> {
  const bytes = new Uint8Array(await readFile(FIXTURES_DIR + file))
  const name = file.split('/').pop()?.split('_')[0] ?? ''
  return { file, name, value: unmarshalIPNSRecord(bytes).value, bytes }
}
