/**
 * Snapshot statistics for the Backups page: total size and file count of a snapshot, and what
 * changed against its parent (new, changed, unmodified, removed files). restic's snapshot files
 * carry no statistics, so they are computed from the trees; identical subtrees (same tree ID) are
 * counted once and never walked twice.
 */
import { loadTree } from '../restic/ops/tree-walk.js'
import type { Repository } from '../restic/repository/repository.js'
import type { Node } from '../restic/repofile/tree.js'
import type { AbortOptions } from '../core/options.js'

export interface TreeTotals { files: number, dirs: number, bytes: number }
export interface ChangeStats { filesNew: number, filesChanged: number, filesUnmodified: number, filesRemoved: number }

export class TreeStats {
  readonly #repo: Repository
  readonly #totals = new Map<string, Promise<TreeTotals>>()

  constructor (repo: Repository) {
    this.#repo = repo
  }

  async totals (treeId: string, options: AbortOptions = {}): Promise<TreeTotals> {
    let p = this.#totals.get(treeId)
    if (p === undefined) {
      p = (async () => {
        const t: TreeTotals = { files: 0, dirs: 0, bytes: 0 }
        for (const n of (await loadTree(this.#repo, treeId, options)).nodes) {
          if (n.type === 'file') { t.files++; t.bytes += n.size ?? 0 } else if (n.type === 'dir' && typeof n.subtree === 'string') {
            const sub = await this.totals(n.subtree, options)
            t.files += sub.files; t.dirs += sub.dirs + 1; t.bytes += sub.bytes
          }
        }
        return t
      })()
      p.catch(() => { this.#totals.delete(treeId) })
      this.#totals.set(treeId, p)
    }
    return p
  }

  /** Files new, changed (other content), unmodified and removed going from `before` to `after`. */
  async changes (before: string | undefined, after: string, options: AbortOptions = {}): Promise<ChangeStats> {
    const out: ChangeStats = { filesNew: 0, filesChanged: 0, filesUnmodified: 0, filesRemoved: 0 }
    await this.#diff(before, after, out, options)
    return out
  }

  async #filesIn (node: Node | undefined, options: AbortOptions): Promise<number> {
    if (node === undefined) return 0
    if (node.type === 'file') return 1
    if (node.type === 'dir' && typeof node.subtree === 'string') return (await this.totals(node.subtree, options)).files
    return 0
  }

  async #diff (before: string | undefined, after: string, out: ChangeStats, options: AbortOptions): Promise<void> {
    options.signal?.throwIfAborted()
    if (before === after) { out.filesUnmodified += (await this.totals(after, options)).files; return }
    if (before === undefined) { out.filesNew += (await this.totals(after, options)).files; return }
    const [a, b] = await Promise.all([loadTree(this.#repo, before, options), loadTree(this.#repo, after, options)])
    const old = new Map(a.nodes.map(n => [n.name, n]))
    for (const n of b.nodes) {
      const prev = old.get(n.name)
      old.delete(n.name)
      if (n.type === 'file') {
        if (prev?.type !== 'file') { out.filesNew++; out.filesRemoved += await this.#filesIn(prev, options); continue }
        if ((prev.content ?? []).join() === (n.content ?? []).join()) out.filesUnmodified++
        else out.filesChanged++
      } else if (n.type === 'dir' && typeof n.subtree === 'string') {
        if (prev?.type === 'dir' && typeof prev.subtree === 'string') await this.#diff(prev.subtree, n.subtree, out, options)
        else { out.filesRemoved += await this.#filesIn(prev, options); await this.#diff(undefined, n.subtree, out, options) }
      } else {
        out.filesRemoved += await this.#filesIn(prev, options)
      }
    }
    for (const gone of old.values()) out.filesRemoved += await this.#filesIn(gone, options)
  }
}
