/**
 * Go's `path.Clean`/`path.Join` and `filepath.Match` (Unix), and restic's `filter.Match` and
 * `filter.ChildMatch` built on them: `find` matches node paths with these, `diff` and `dump` name
 * entries with them, so their output is the path restic prints.
 */
import { InvalidInputError } from '../../core/errors.js'

/** Go's `path.Clean`: the shortest equivalent slash path ("." for empty). */
export function cleanPath (p: string): string {
  if (p === '') return '.'
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
      continue
    }
    out.push(seg)
  }
  const s = out.join('/')
  return rooted ? '/' + s : s === '' ? '.' : s
}

/** Go's `path.Join`: the non-empty elements joined with "/", then cleaned ("" when all are empty). */
export function joinPath (...elems: string[]): string {
  const parts = elems.filter(e => e !== '')
  return parts.length === 0 ? '' : cleanPath(parts.join('/'))
}

/** Thrown by `globMatch` for a malformed pattern (Go's `filepath.ErrBadPattern`). */
function badPattern (pattern: string): InvalidInputError {
  return new InvalidInputError(`syntax error in pattern "${pattern}": check the brackets and backslashes (restic's glob syntax: *, ?, [a-z], [^a-z], \\ escapes).`)
}

/**
 * Go's `filepath.Match` on one path segment: `*` (any run of non-"/"), `?` (one character),
 * `[…]` classes with ranges and `^` negation, `\` escapes. Characters are Unicode code points.
 */
export function globMatch (pattern: string, name: string): boolean {
  const p = [...pattern]
  const s = [...name]
  validate(p, pattern)
  return matchFrom(p, 0, s, 0)
}

function validate (p: string[], raw: string): void {
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    if (c === '\\') { if (i + 1 >= p.length) throw badPattern(raw); i++; continue }
    if (c === '[') {
      const end = classEnd(p, i + 1)
      if (end < 0) throw badPattern(raw)
      i = end
    }
  }
}

/** Index of the "]" closing a class whose body starts at `i`, or -1 when it is malformed. */
function classEnd (p: string[], i: number): number {
  if (p[i] === '^') i++
  let first = true
  for (;;) {
    if (i >= p.length) return -1
    if (p[i] === ']' && !first) return i
    first = false
    // one range: lo or lo-hi, each possibly escaped
    const lo = charAt(p, i)
    if (lo === undefined) return -1
    i = lo.next
    if (p[i] === '-') {
      const hi = charAt(p, i + 1)
      if (hi === undefined) return -1
      i = hi.next
    }
  }
}

function charAt (p: string[], i: number): { c: string, next: number } | undefined {
  if (i >= p.length) return undefined
  if (p[i] === '\\') return i + 1 < p.length ? { c: p[i + 1] as string, next: i + 2 } : undefined
  if (p[i] === '-' || p[i] === ']') return undefined
  return { c: p[i] as string, next: i + 1 }
}

function classMatches (p: string[], start: number, end: number, c: string): boolean {
  let i = start
  let negated = false
  if (p[i] === '^') { negated = true; i++ }
  let hit = false
  const cp = c.codePointAt(0) as number
  while (i < end) {
    const lo = charAt(p, i) as { c: string, next: number }
    i = lo.next
    let hi = lo
    if (p[i] === '-') { hi = charAt(p, i + 1) as { c: string, next: number }; i = hi.next }
    if ((lo.c.codePointAt(0) as number) <= cp && cp <= (hi.c.codePointAt(0) as number)) hit = true
  }
  return hit !== negated
}

function matchFrom (p: string[], pi: number, s: string[], si: number): boolean {
  while (pi < p.length) {
    const c = p[pi] as string
    if (c === '*') {
      while (p[pi] === '*') pi++
      if (pi === p.length) return !s.slice(si).includes('/')
      for (let k = si; k <= s.length; k++) {
        if (matchFrom(p, pi, s, k)) return true
        if (s[k] === '/') return false
      }
      return false
    }
    if (si >= s.length) return false
    const ch = s[si] as string
    if (c === '?') {
      if (ch === '/') return false
    } else if (c === '[') {
      const end = classEnd(p, pi + 1)
      if (ch === '/' || !classMatches(p, pi + 1, end, ch)) return false
      pi = end
    } else if (c === '\\') {
      pi++
      if (p[pi] !== ch) return false
    } else if (c !== ch) {
      return false
    }
    pi++
    si++
  }
  return si === s.length
}

interface Part { pattern: string, simple: boolean }

/** restic's pattern: a leading "!" dropped, cleaned, split into parts ("/" first when absolute, "" for "**"). */
function prepare (pattern: string): Part[] {
  const raw = pattern.startsWith('!') ? pattern.slice(1) : pattern
  return splitParts(cleanPath(raw)).map(part => ({ pattern: part === '**' ? '' : part, simple: !/[\\[\]*?]/.test(part) }))
}

function splitParts (p: string): string[] {
  const parts = p.split('/')
  if (parts[0] === '') parts[0] = '/'
  return parts
}

function hasDoubleWildcard (parts: Part[]): number {
  return parts.findIndex(x => x.pattern === '')
}

function matchParts (parts: Part[], strs: string[]): boolean {
  const pos = hasDoubleWildcard(parts)
  if (pos >= 0) {
    // "**" expands to nothing, then to one "*" per skipped segment
    for (let i = 0; i <= strs.length - parts.length + 1; i++) {
      const expanded: Part[] = [...parts.slice(0, pos), ...Array.from({ length: i }, () => ({ pattern: '*', simple: false })), ...parts.slice(pos + 1)]
      if (matchParts(expanded, strs)) return true
    }
    return false
  }
  if (parts.length === 0) return strs.length === 0
  if (parts.length > strs.length) return false
  let minOffset = 0
  let maxOffset = strs.length - parts.length
  if (parts[0]?.pattern === '/') maxOffset = 0
  else if (strs[0] === '/') minOffset = 1
  outer: for (let offset = maxOffset; offset >= minOffset; offset--) {
    for (let i = parts.length - 1; i >= 0; i--) {
      const part = parts[i] as Part
      const str = strs[offset + i] as string
      if (!(part.simple ? part.pattern === str : globMatch(part.pattern, str))) continue outer
    }
    return true
  }
  return false
}

/** restic's `filter.Match`: does `path` (slash separated) match `pattern`? The empty pattern matches everything. */
export function filterMatch (pattern: string, path: string): boolean {
  if (pattern === '') return true
  if (path === '') throw new InvalidInputError('filter.Match: string is empty')
  return matchParts(prepare(pattern), splitParts(path))
}

/** restic's `filter.ChildMatch`: could something below `path` match `pattern`? */
export function filterChildMatch (pattern: string, path: string): boolean {
  if (pattern === '') return true
  if (path === '') throw new InvalidInputError('filter.ChildMatch: string is empty')
  const parts = prepare(pattern)
  let strs = splitParts(path)
  if (parts[0]?.pattern !== '/') return true
  const pos = hasDoubleWildcard(parts)
  if (pos >= 0 && strs.length >= pos) strs = strs.slice(0, pos)
  const l = Math.min(strs.length, parts.length)
  return matchParts(parts.slice(0, l), strs)
}
