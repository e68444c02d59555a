/**
 * restic 0.14's `walker.Walk`, with its "ignore" bookkeeping: a subtree whose nodes the visitor all
 * ignored is added to `ignoreTrees` and not walked again (find shares the set across snapshots, so
 * a later snapshot skips it, as restic does). `stats` and `find` walk with it so they count and
 * print exactly what restic counts and prints.
 */
import type { AbortOptions } from '../../core/options.js'
import type { Node } from '../repofile/tree.js'
import type { Repository } from '../repository/repository.js'
import { compareBytes, utf8 } from '../util/bytes.js'
import { joinPath } from '../util/go-path.js'
import { loadTree } from './tree-walk.js'

/** What the visitor tells the walker: `ignore` (do not visit again), `skip` (restic's ErrSkipNode). */
export interface Visit { ignore: boolean, skip?: boolean }

/** Called with `node` undefined once for the root, then for each node, directories before their contents. */
export type Visitor = (parentTreeId: string, path: string, node: Node | undefined) => Visit | Promise<Visit>

/** Node names in Go string order (bytes). */
export function nameKey (n: Node): Uint8Array {
  return n.nameBytes ?? utf8(n.name)
}

export async function resticWalk (repo: Repository, root: string, ignoreTrees: Set<string>, visit: Visitor, options: AbortOptions = {}): Promise<void> {
  const tree = await loadTree(repo, root, options)
  const first = await visit(root, '/', undefined)
  if (first.skip === true) return
  await walkTree(repo, '/', root, tree.nodes, ignoreTrees, visit, options)
}

async function walkTree (repo: Repository, prefix: string, parent: string, nodes: Node[], ignoreTrees: Set<string>, visit: Visitor, options: AbortOptions): Promise<boolean> {
  let allIgnored = nodes.length > 0
  const sorted = [...nodes].sort((a, b) => compareBytes(nameKey(a), nameKey(b)))
  for (const node of sorted) {
    options.signal?.throwIfAborted()
    const p = joinPath(prefix, node.name)
    if (node.type !== 'dir') {
      const v = await visit(parent, p, node)
      if (v.skip === true) return allIgnored
      if (!v.ignore) allIgnored = false
      continue
    }
    const subtree = node.subtree
    if (subtree === undefined || subtree === null) throw new TypeError(`subtree for node ${node.name} in tree ${p} is missing`)
    if (ignoreTrees.has(subtree)) continue
    const sub = await loadTree(repo, subtree, options)
    const v = await visit(parent, p, node)
    if (v.skip === true) {
      if (v.ignore) ignoreTrees.add(subtree)
      continue
    }
    if (v.ignore) ignoreTrees.add(subtree)
    else allIgnored = false
    const below = await walkTree(repo, p, subtree, sub.nodes, ignoreTrees, visit, options)
    if (below) ignoreTrees.add(subtree)
    else allIgnored = false
  }
  return allIgnored
}

/**
 * Turns a callback-driven producer (a walk) into an async generator with backpressure: `push`
 * waits while `limit` items are queued, so memory stays bounded however many items the walk finds.
 * When the consumer stops early, the next `push` throws and the producer ends.
 */
export async function * pump<T> (run: (push: (item: T) => Promise<void>) => Promise<void>, limit = 256): AsyncGenerator<T> {
  const queue: T[] = []
  let wake: (() => void) | undefined
  let space: (() => void) | undefined
  let finished = false
  let stopped = false
  let failure: { error: unknown } | undefined
  const push = async (item: T): Promise<void> => {
    if (stopped) throw new Error('the consumer stopped')
    queue.push(item)
    wake?.()
    if (queue.length >= limit) await new Promise<void>(resolve => { space = resolve })
    if (stopped) throw new Error('the consumer stopped')
  }
  const producer = run(push).then(() => { finished = true }, (error: unknown) => { failure = { error }; finished = true }).finally(() => { wake?.() })
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue.splice(0)
        const resume = space
        space = undefined
        resume?.()
        yield * batch
        continue
      }
      if (finished) {
        if (failure !== undefined) throw failure.error
        return
      }
      await new Promise<void>(resolve => { wake = resolve })
      wake = undefined
    }
  } finally {
    stopped = true
    space?.()
    await producer
  }
}
