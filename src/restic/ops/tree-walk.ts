/** Loading trees and walking them (used by ls, restore, check and prune). */
import type { AbortOptions } from '../../core/options.js'
import { DamagedFileError, PathNotFoundError } from '../errors.js'
import { parseTree } from '../repofile/tree.js'
import type { Node, Tree } from '../repofile/tree.js'
import type { Repository } from '../repository/repository.js'

export async function loadTree (repo: Repository, id: string, options?: AbortOptions): Promise<Tree> {
  const bytes = await repo.loadBlob('tree', id, options)
  try {
    return parseTree(bytes)
  } catch (err) {
    const loc = repo.index.get('tree', id)
    throw new DamagedFileError(repo.describe({ type: 'data', name: loc?.packId ?? '?' }), `tree ${id.slice(0, 8)} does not decode (${(err as Error).message})`, { cause: err })
  }
}

export interface WalkEntry {
  /** Path segments from the snapshot root. */
  path: string[]
  node: Node
}

/** Depth-first walk in tree order; directories are yielded before their contents. */
export async function * walk (repo: Repository, treeId: string, options: AbortOptions = {}, prefix: string[] = []): AsyncGenerator<WalkEntry> {
  const tree = await loadTree(repo, treeId, options)
  for (const node of tree.nodes) {
    options.signal?.throwIfAborted()
    const path = [...prefix, node.name]
    yield { path, node }
    if (node.type === 'dir' && node.subtree !== undefined && node.subtree !== null) yield * walk(repo, node.subtree, options, path)
  }
}

/** Split "/a/b/c" into segments, ignoring empty ones. */
export function splitPath (p: string): string[] {
  return p.split('/').filter(s => s !== '' && s !== '.')
}

/** Find the node at `path` (segments) below the tree `rootId`. */
export async function findNode (repo: Repository, rootId: string, path: string[], options?: AbortOptions): Promise<Node> {
  let treeId = rootId
  let node: Node | undefined
  for (let i = 0; i < path.length; i++) {
    const tree = await loadTree(repo, treeId, options)
    node = tree.nodes.find(n => n.name === path[i])
    if (node === undefined) throw new PathNotFoundError(`path /${path.slice(0, i + 1).join('/')} is not in the snapshot. Run \`cairn restic ls\` to see its contents.`)
    if (i < path.length - 1) {
      if (node.type !== 'dir' || node.subtree === undefined) throw new PathNotFoundError(`/${path.slice(0, i + 1).join('/')} is not a directory in the snapshot.`)
      treeId = node.subtree
    }
  }
  if (node === undefined) throw new PathNotFoundError('an empty path names the snapshot root, which is not a node')
  return node
}
