/**
 * Hostile snapshots written with the project's own write path (BlobSaver, saveSnapshot): tree
 * blobs with node names a restore must refuse ("..", "../../x", "a/b", …), in the order given,
 * duplicates kept (restic reads trees in any order; only its writer sorts them).
 */
import { BlobSaver } from '../../../src/restic/repository/blob-saver.js'
import { saveSnapshot } from '../../../src/restic/ops/snapshots.js'
import { MODE, encodeNode } from '../../../src/restic/repofile/tree.js'
import type { Node } from '../../../src/restic/repofile/tree.js'
import type { Repository } from '../../../src/restic/repository/repository.js'

export type Crafted =
  | { name: string, type: 'file', data: string }
  | { name: string, type: 'dir', children: Crafted[] }
  | { name: string, type: 'symlink', linktarget: string }

const TIME = '2026-01-02T03:04:05.123456789Z'

/** Writes the tree and a snapshot of it; returns the snapshot ID. */
export async function writeCraftedSnapshot (repo: Repository, nodes: Crafted[]): Promise<string> {
  await repo.loadIndex()
  const saver = new BlobSaver(repo)
  const enc = new TextEncoder()
  const saveTree = async (items: Crafted[]): Promise<string> => {
    const out: Node[] = []
    for (const c of items) {
      const base = { name: c.name, mtime: TIME, atime: TIME, ctime: TIME, uid: 1000, gid: 1000 }
      if (c.type === 'file') {
        const bytes = enc.encode(c.data)
        const content = bytes.length === 0 ? [] : [(await saver.save('data', bytes)).id]
        out.push({ ...base, type: 'file', mode: 0o644, size: bytes.length, links: 1, content })
      } else if (c.type === 'dir') {
        out.push({ ...base, type: 'dir', mode: MODE.DIR + 0o755, content: null, subtree: await saveTree(c.children) })
      } else {
        out.push({ ...base, type: 'symlink', mode: MODE.SYMLINK + 0o777, linktarget: c.linktarget, content: null })
      }
    }
    // Not encodeTree: that sorts and refuses duplicates, as restic's writer does.
    return (await saver.save('tree', enc.encode('{"nodes":[' + out.map(encodeNode).join(',') + ']}\n'))).id
  }
  const tree = await saveTree(nodes)
  await saver.flush()
  return await saveSnapshot(repo, { time: TIME, tree, paths: ['/crafted'], hostname: 'crafted', username: 'test' })
}
