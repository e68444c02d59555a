/**
 * Which snapshot entries a restore writes: restic's `--include`/`--iinclude` and
 * `--exclude`/`--iexclude`, matched against each entry's path in the snapshot (`/home/a/b`).
 */
import { InvalidInputError } from '../../core/errors.js'
import { matchList, parsePatterns } from '../filter/pattern.js'
import type { Node } from '../repofile/tree.js'

/** `selected`: write this entry; `descend`: look at a directory's children (some may be selected). */
export type RestoreSelector = (location: string, node: Node) => { selected: boolean, descend: boolean }

export interface RestorePatterns {
  include?: readonly string[] | undefined
  iinclude?: readonly string[] | undefined
  exclude?: readonly string[] | undefined
  iexclude?: readonly string[] | undefined
}

/** The selector for the flags, or undefined when none is given (everything is restored). */
export function patternSelector (p: RestorePatterns): RestoreSelector | undefined {
  const lower = (l: readonly string[] | undefined): string[] => (l ?? []).map(s => s.toLowerCase())
  const exclude = parsePatterns(p.exclude ?? [], 'exclude')
  const iexclude = parsePatterns(lower(p.iexclude), 'iexclude')
  const include = parsePatterns(p.include ?? [], 'include')
  const iinclude = parsePatterns(lower(p.iinclude), 'iinclude')
  const excludes = exclude.length + iexclude.length > 0
  const includes = include.length + iinclude.length > 0
  if (excludes && includes) throw new InvalidInputError('exclude and include patterns are mutually exclusive: give either --include/--iinclude or --exclude/--iexclude.')
  if (excludes) {
    // "Everything but": a directory is entered only when it is itself restored.
    return (location, node) => {
      const selected = !matchList(exclude, location).matched && !matchList(iexclude, location.toLowerCase()).matched
      return { selected, descend: selected && node.type === 'dir' }
    }
  }
  if (includes) {
    return (location, node) => {
      const a = matchList(include, location)
      const b = matchList(iinclude, location.toLowerCase())
      return { selected: a.matched || b.matched, descend: (a.childMayMatch || b.childMayMatch) && node.type === 'dir' }
    }
  }
  return undefined
}
