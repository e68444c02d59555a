/**
 * One chunk for the code that must load before the peer ID shows.
 *
 * Left to itself the bundler splits the node's code by which lazy chunks share each module (the
 * node, fetch, names, backups…), and the page then loads about 45 small files before its node can
 * start, over a handful of connections. But the node always loads first, and every other lazy
 * chunk runs only once it is up: so every module the node's start-up imports (statically, from the
 * entries below) goes into one `node` chunk, except what the page's first paint already loaded.
 * The other lazy chunks then import from it.
 */
import type { Plugin } from 'vite'

/** What `src/app/node-service.ts` imports to start the node (see `preload()` there). */
const STARTUP = [/\/src\/ipfs\/node\.ts$/, /\/src\/ipfs\/peers\.ts$/, /\/src\/ipfs\/keep-connected\.ts$/, /\/node_modules\/blockstore-idb\/dist\/src\/index\.js$/, /\/node_modules\/datastore-idb\/dist\/src\/index\.js$/]

interface ModuleInfoLike { isEntry: boolean, importedIds: readonly string[] }
interface GraphContext { getModuleIds: () => IterableIterator<string>, getModuleInfo: (id: string) => ModuleInfoLike | null }

function closure (ctx: GraphContext, roots: string[]): Set<string> {
  const seen = new Set<string>()
  const queue = [...roots]
  while (queue.length > 0) {
    const id = queue.pop()!
    if (seen.has(id)) continue
    seen.add(id)
    for (const dep of ctx.getModuleInfo(id)?.importedIds ?? []) queue.push(dep)
  }
  return seen
}

function createNodeChunk (): { plugin: Plugin, group: { name: string, test: (id: string) => boolean, includeDependenciesRecursively: boolean } } {
  let members = new Set<string>()
  return {
    plugin: {
      name: 'cairn-node-chunk',
      apply: 'build',
      buildEnd () {
        const ctx = this as unknown as GraphContext
        const ids = [...ctx.getModuleIds()]
        const entries = ids.filter(id => ctx.getModuleInfo(id)?.isEntry === true)
        const firstPaint = closure(ctx, entries)
        const startup = closure(ctx, ids.filter(id => STARTUP.some(re => re.test(id))))
        members = new Set([...startup].filter(id => !firstPaint.has(id)))
      }
    },
    group: {
      name: 'node',
      test: (id: string) => members.has(id),
      // Members import modules of the first paint's chunk; those must stay there.
      includeDependenciesRecursively: false
    }
  }
}

export const nodeChunk = createNodeChunk()
