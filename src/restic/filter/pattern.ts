/**
 * restic's path patterns (`--exclude`, `--include`, exclude files): Go's `filepath.Match` per path
 * component, plus `**` for any number of components and, as in restic 0.14, a leading `!` that
 * takes back an earlier match. A pattern starting with `/` is anchored at the root; any other
 * pattern matches at any depth (`foo` matches `/a/foo` and `/a/foo/b`). Paths are absolute, `/`
 * separated. Written from restic's documented behaviour (internal/filter) for fidelity.
 */
import { InvalidPatternError } from '../option-errors.js'
import { cleanPath } from '../util/go-path.js'

export { cleanPath }

interface Part {
  /** "/" marks an absolute pattern's root; "" stands for `**`. */
  text: string
  /** Null when the part has no wildcard (compared as text). */
  re: RegExp | null
}

export interface Pattern {
  readonly original: string
  readonly parts: readonly Part[]
  readonly negated: boolean
}

function split (p: string): string[] {
  const parts = p.split('/')
  if (parts[0] === '') parts[0] = '/'
  return parts
}

const SPECIAL = /[\\[\]*?]/

/**
 * One component of Go's `filepath.Match` syntax as an anchored RegExp: `*` any run of characters,
 * `?` one character, `[a-z]` / `[^a-z]` classes, `\x` a literal `x`. Null when it is malformed
 * (Go's ErrBadPattern).
 */
export function componentRegExp (pattern: string): RegExp | null {
  const chars = [...pattern]
  let re = ''
  let i = 0
  const esc = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
  while (i < chars.length) {
    const c = chars[i] as string
    if (c === '*') { re += '[^/]*'; i++; continue }
    if (c === '?') { re += '[^/]'; i++; continue }
    if (c === '\\') {
      const n = chars[i + 1]
      if (n === undefined) return null
      re += esc(n)
      i += 2
      continue
    }
    if (c === '[') {
      i++
      let negate = false
      if (chars[i] === '^') { negate = true; i++ }
      let cls = ''
      let items = 0
      for (;;) {
        const d = chars[i]
        if (d === undefined) return null
        if (d === ']' && items > 0) { i++; break }
        const lo = readClassChar(chars, i)
        if (lo === null) return null
        i = lo.next
        let item = escClass(lo.ch)
        if (chars[i] === '-') {
          const hi = readClassChar(chars, i + 1)
          if (hi === null) return null
          // Go accepts a reversed range; it matches nothing.
          item = (hi.ch.codePointAt(0) as number) < (lo.ch.codePointAt(0) as number) ? '' : item + '-' + escClass(hi.ch)
          i = hi.next
        }
        cls += item
        items++
      }
      re += negate ? `(?!/)[^${cls}]` : `[${cls}]`
      continue
    }
    re += esc(c)
    i++
  }
  try { return new RegExp(`^${re}$`, 'u') } catch { return null }
}

function escClass (c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
}

function readClassChar (chars: string[], i: number): { ch: string, next: number } | null {
  const c = chars[i]
  if (c === undefined || c === '-' || c === ']') return null
  if (c === '\\') {
    const n = chars[i + 1]
    if (n === undefined) return null
    return { ch: n, next: i + 2 }
  }
  return { ch: c, next: i + 1 }
}

/** Parse one pattern. Throws `InvalidPatternError` for malformed ones (restic's ValidatePatterns). */
export function parsePattern (original: string): Pattern {
  let s = original
  const negated = s.startsWith('!')
  if (negated) s = s.slice(1)
  const parts = split(cleanPath(s)).map((text): Part => {
    if (text === '**') return { text: '', re: null }
    if (!SPECIAL.test(text)) return { text, re: null }
    const re = componentRegExp(text)
    if (re === null) throw new InvalidPatternError(original)
    return { text, re }
  })
  return { original, parts, negated }
}

/** Parse a list of patterns, skipping empty ones; the error lists every malformed pattern. */
export function parsePatterns (patterns: readonly string[], flagName = 'exclude'): Pattern[] {
  const bad: string[] = []
  const out: Pattern[] = []
  for (const p of patterns) {
    if (p === '') continue
    try { out.push(parsePattern(p)) } catch (err) {
      if (!(err instanceof InvalidPatternError)) throw err
      bad.push(p)
    }
  }
  if (bad.length > 0) throw new InvalidPatternError(bad.join(', '), flagName)
  return out
}

function partMatches (p: Part, s: string): boolean {
  return p.re === null ? p.text === s : p.re.test(s)
}

function matchParts (parts: readonly Part[], strs: readonly string[]): boolean {
  const star = parts.findIndex(p => p.text === '' && p.re === null)
  if (star >= 0) {
    // `**` stands for zero or more components: try each count.
    const rest = parts.slice(star + 1)
    for (let n = 0; n <= strs.length - parts.length + 1; n++) {
      const expanded = [...parts.slice(0, star), ...Array.from({ length: n }, (): Part => ({ text: '*', re: /^[^/]*$/u })), ...rest]
      if (matchParts(expanded, strs)) return true
    }
    return false
  }
  if (parts.length === 0) return strs.length === 0
  if (parts.length > strs.length) return false
  let min = 0
  let max = strs.length - parts.length
  if ((parts[0] as Part).text === '/' && (parts[0] as Part).re === null) max = 0
  else if (strs[0] === '/') min = 1
  for (let off = max; off >= min; off--) {
    if (parts.every((p, i) => partMatches(p, strs[off + i] as string))) return true
  }
  return false
}

/** Whether `path` could hold something `pattern` matches (restic's ChildMatch): relative patterns always may. */
function childMatches (pattern: Pattern, strs: readonly string[]): boolean {
  const first = pattern.parts[0] as Part
  if (first.text !== '/') return true
  const star = pattern.parts.findIndex(p => p.text === '' && p.re === null)
  let s = strs
  if (star >= 0 && s.length >= star) s = s.slice(0, star)
  const l = Math.min(s.length, pattern.parts.length)
  return matchParts(pattern.parts.slice(0, l), s)
}

function pathParts (path: string): string[] {
  if (path === '') throw new InvalidPatternError('', 'path')
  return split(cleanPath(path))
}

/** Whether `path` matches one pattern (ignoring negation). */
export function matchPattern (pattern: Pattern, path: string): boolean {
  return matchParts(pattern.parts, pathParts(path))
}

/**
 * restic's `filter.List`: whether `path` matches the list. Later `!` patterns take back a match;
 * `childMayMatch`: whether something below `path` may still match (for includes).
 */
export function matchList (patterns: readonly Pattern[], path: string): { matched: boolean, childMayMatch: boolean } {
  let matched = false
  let childMayMatch = false
  if (patterns.length === 0) return { matched, childMayMatch }
  const strs = pathParts(path)
  const negations = patterns.some(p => p.negated)
  for (const p of patterns) {
    const m = matchParts(p.parts, strs)
    if (p.negated) {
      matched = matched && !m
      childMayMatch = childMayMatch && !m
    } else {
      matched = matched || m
      childMayMatch = childMayMatch || childMatches(p, strs)
      if (matched && childMayMatch && !negations) break
    }
  }
  return { matched, childMayMatch }
}

/** A name filter for exclude flags: `insensitive` lower-cases patterns and paths (`--iexclude`). */
export function excludeMatcher (patterns: readonly string[], insensitive = false, flagName = 'exclude'): (path: string) => boolean {
  const parsed = parsePatterns(insensitive ? patterns.map(p => p.toLowerCase()) : patterns, flagName)
  if (parsed.length === 0) return () => false
  return (path) => matchList(parsed, insensitive ? path.toLowerCase() : path).matched
}

/**
 * restic's exclude-file reading: one pattern per line, surrounding space trimmed, empty lines and
 * `#` comments skipped, `$VAR` / `${VAR}` expanded from `env` (`$$` is a `$`).
 */
export function parseExcludeFile (text: string, env: Record<string, string | undefined>): string[] {
  const out: string[] = []
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    out.push(expandEnv(line, env))
  }
  return out
}

/** Go's `os.Expand` with restic's getter: `$name`, `${name}`; `$$` stays `$`. */
function expandEnv (s: string, env: Record<string, string | undefined>): string {
  return s.replace(/\$(\{([^}]*)\}|([A-Za-z0-9_]+)|\$|([^A-Za-z0-9_{$]|$))/g, (m, _all: string, braced: string | undefined, bare: string | undefined) => {
    if (m === '$$') return '$'
    const name = braced ?? bare
    if (name === undefined) return m
    return env[name] ?? ''
  })
}
