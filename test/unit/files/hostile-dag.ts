/** UnixFS directories with crafted entry names ("..", "../../evil", "a\\b", …), built block by block. */
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { Blockstore } from 'interface-blockstore'

export type DagEntry = { name: string, data: string } | { name: string, children: DagEntry[] }

/** Stores `entries` as a plain UnixFS directory (raw leaves for files); dag-pb sorts the links. */
export async function putHostileDir (blockstore: Pick<Blockstore, 'put'>, entries: DagEntry[]): Promise<CID> {
  const links: dagPb.PBLink[] = []
  for (const e of entries) {
    let cid: CID
    let size: number
    if ('data' in e) {
      const bytes = new TextEncoder().encode(e.data)
      cid = CID.createV1(raw.code, await sha256.digest(bytes))
      await blockstore.put(cid, bytes)
      size = bytes.length
    } else {
      cid = await putHostileDir(blockstore, e.children)
      size = 0
    }
    links.push({ Name: e.name, Hash: cid, Tsize: size })
  }
  const bytes = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: links }))
  const cid = CID.createV1(dagPb.code, await sha256.digest(bytes))
  await blockstore.put(cid, bytes)
  return cid
}

/** A folder whose entries point out of it, next to valid ones. */
export function hostileEntries (): DagEntry[] {
  return [
    { name: 'ok.txt', data: 'fine\n' },
    { name: '..', data: 'dotdot\n' },
    { name: '../../evil', data: 'evil\n' },
    { name: '.', children: [{ name: 'x', data: 'dot\n' }] },
    { name: 'a\\b', data: 'backslash\n' },
    { name: 'sub', children: [{ name: 'inner.txt', data: 'inner\n' }, { name: '../../../deep', data: 'deep\n' }] }
  ]
}
