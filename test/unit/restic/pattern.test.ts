/** restic's path patterns (src/restic/filter/pattern.ts): cases from restic's documented rules. */
import { describe, expect, it } from 'vitest'
import { InvalidPatternError, cleanPath, excludeMatcher, matchList, parseExcludeFile, parsePattern, parsePatterns } from '../../../src/restic/index.js'

const m = (pattern: string, path: string): boolean => matchList([parsePattern(pattern)], path).matched

describe('restic exclude patterns', () => {
  it('matches a relative pattern at any depth, an absolute one at the root only', () => {
    expect(m('foo', '/a/foo')).toBe(true)
    expect(m('foo', '/a/foo/b')).toBe(true)
    expect(m('foo', '/a/food')).toBe(false)
    expect(m('/a/foo', '/a/foo/b')).toBe(true)
    expect(m('/foo', '/a/foo')).toBe(false)
    expect(m('a/*.go', '/x/a/b.go')).toBe(true)
    expect(m('a/*.go', '/x/a/c/b.go')).toBe(false)
  })

  it('** spans any number of directories, * and ? stay within one', () => {
    expect(m('/a/**/z', '/a/z')).toBe(true)
    expect(m('/a/**/z', '/a/b/c/z')).toBe(true)
    expect(m('/a/*/z', '/a/b/c/z')).toBe(false)
    expect(m('?.txt', '/d/a.txt')).toBe(true)
    expect(m('?.txt', '/d/ab.txt')).toBe(false)
  })

  it('classes, negated classes, ranges and escapes as filepath.Match', () => {
    expect(m('[a-c].txt', '/b.txt')).toBe(true)
    expect(m('[^a-c].txt', '/b.txt')).toBe(false)
    expect(m('[^a-c].txt', '/d.txt')).toBe(true)
    expect(m('\\*.txt', '/*.txt')).toBe(true)
    expect(m('\\*.txt', '/a.txt')).toBe(false)
    expect(m('a-b.txt', '/a-b.txt')).toBe(true)
    expect(m('é?', '/éü')).toBe(true)
  })

  it('a later ! pattern takes a match back', () => {
    const p = parsePatterns(['/d/*', '!/d/keep'])
    expect(matchList(p, '/d/x').matched).toBe(true)
    expect(matchList(p, '/d/keep').matched).toBe(false)
  })

  it('childMayMatch tells whether to look inside a directory (includes)', () => {
    const p = parsePatterns(['/a/b/c'])
    expect(matchList(p, '/a').childMayMatch).toBe(true)
    expect(matchList(p, '/x').childMayMatch).toBe(false)
  })

  it('refuses malformed patterns, naming them', () => {
    for (const bad of ['a[', '[]', '[a-]', 'x\\']) expect(() => parsePattern(bad), bad).toThrow(InvalidPatternError)
    expect(() => parsePatterns(['ok', 'a[', 'b['])).toThrow(/a\[, b\[/)
    // Go takes a reversed range as valid; it matches nothing.
    expect(m('[z-a]', '/b')).toBe(false)
    expect(m('[^z-a]', '/b')).toBe(true)
  })

  it('--iexclude lower-cases both sides', () => {
    expect(excludeMatcher(['*.LOG'], true)('/x/A.log')).toBe(true)
    expect(excludeMatcher(['*.LOG'], false)('/x/A.log')).toBe(false)
  })

  it('reads exclude files as restic: trimmed, comments and blank lines skipped, $VAR expanded', () => {
    expect(parseExcludeFile('# c\n\n  *.o  \r\n$HOME/x\n${A}y\n$$z\n', { HOME: '/h', A: 'a' })).toEqual(['*.o', '/h/x', 'ay', '$z'])
  })

  it('cleans paths as Go', () => {
    expect(cleanPath('/a/../b/./c/')).toBe('/b/c')
    expect(cleanPath('a/../..')).toBe('..')
    expect(cleanPath('/..')).toBe('/')
  })
})
