/**
 * Hostile snapshots written with the project's own write path (BlobSaver, saveSnapshot): tree
 * blobs with node names a restore must refuse ("..", "../../x", "a/b", …), in the order given,
 * duplicates kept (restic reads trees in any order; only its writer sorts them). No Node imports:
 * the Playwright harness of the page's sinks builds the same snapshots in Chromium.
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

/** Names restic refuses ("invalid child node name") next to valid siblings. */
export function nameRuleTree (): Crafted[] {
  return [
    { name: 'ok.txt', type: 'file', data: 'fine\n' },
    { name: '..', type: 'file', data: 'dotdot\n' },
    { name: '../../evil', type: 'file', data: 'evil\n' },
    { name: '../sibling', type: 'file', data: 'sibling\n' },
    { name: '../up', type: 'dir', children: [{ name: 'f', type: 'file', data: 'up\n' }] },
    { name: 'a/b', type: 'file', data: 'slash\n' },
    { name: '.', type: 'dir', children: [{ name: 'dot-child', type: 'file', data: 'dot\n' }] },
    { name: '', type: 'file', data: 'empty name\n' },
    { name: 'nul\0name', type: 'file', data: 'nul\n' },
    { name: 'back\\slash', type: 'file', data: 'a backslash is a plain character on Linux\n' },
    {
      name: 'sub',
      type: 'dir',
      children: [
        { name: 'inner.txt', type: 'file', data: 'inner\n' },
        { name: '../../../deep', type: 'file', data: 'deep\n' },
        { name: 'link-ok', type: 'symlink', linktarget: '../ok.txt' }
      ]
    }
  ]
}

/** The paths in the snapshot of the refused nodes, as the warnings name them. */
export const NAME_RULE_REFUSED = ['/".."', '/"../../evil"', '/"../sibling"', '/"../up"', '/"a/b"', '/"."', '/""', '/"nul\\u0000name"', '/sub/"../../../deep"']

/** What a restore of `nameRuleTree()` leaves in its target. */
export const NAME_RULE_RESTORED = {
  'back\\slash': 'file:a backslash is a plain character on Linux\n',
  'ok.txt': 'file:fine\n',
  sub: 'dir',
  'sub/inner.txt': 'file:inner\n',
  'sub/link-ok': 'symlink:../ok.txt'
}

/**
 * A symlink to `outside`, then a directory of the same name holding a file; and a symlink named
 * like the old sink's temporary file next to the file it would have redirected.
 */
export function symlinkTree (outside: string): Crafted[] {
  return [
    { name: 'lnk', type: 'symlink', linktarget: outside },
    { name: 'lnk', type: 'dir', children: [{ name: 'f', type: 'file', data: 'through the link\n' }] },
    { name: 'x.cairn-restore-tmp', type: 'symlink', linktarget: `${outside}/victim` },
    { name: 'x', type: 'file', data: 'through the temporary name\n' },
    { name: 'ok', type: 'file', data: 'fine\n' }
  ]
}
