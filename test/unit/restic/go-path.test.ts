/**
 * restic's pattern matching (`find`): Go's filepath.Match on a segment and restic's filter.Match /
 * filter.ChildMatch on paths, checked on cases from restic 0.14's and Go's own tables.
 */
import { describe, expect, it } from 'vitest'
import { cleanPath, filterChildMatch, filterMatch, globMatch, joinPath } from '../../../src/restic/index.js'

describe('Go path and pattern helpers', () => {
  it('globMatch follows filepath.Match, malformed patterns included', () => {
    const cases: Array<[string, string, boolean]> = [
      ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'ab/c', false],
      ['a*b*c*d*e*', 'axbxcxdxe', true], ['a*b?c*x', 'abxbbxdbxebxczzx', true], ['a*b?c*x', 'abxbbxdbxebxczzy', false],
      ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false], ['ab[^c]', 'abc', false],
      ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false], ['a?b', 'a☺b', true],
      ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false],
      ['a?b', 'a/b', false], ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true],
      ['[x\\-]', 'x', true], ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['*x', 'xxx', true]
    ]
    for (const [p, s, want] of cases) expect(globMatch(p, s), `${p} ${s}`).toBe(want)
    for (const bad of ['[]a]', '[-]', '[x-]', '[-x]', '\\', '[a-b-c]', '[', '[^', '[^bc', 'a[']) {
      expect(() => globMatch(bad, 'a'), bad).toThrow(/syntax error in pattern/)
    }
  })

  it('filterMatch and filterChildMatch follow restic\'s filter package', () => {
    const match: Array<[string, string, boolean]> = [
      ['', 'foo', true], ['*.go', '/foo/bar/test.go', true], ['*.c', '/foo/bar/test.go', false], ['**', '/foo/bar/test.go', true],
      ['foo*', '/foo/bar/test.go', true], ['/bar*', '/foo/bar/test.go', false], ['bar/*', '/foo/bar/test.go', true],
      ['baz/*', '/foo/bar/test.go', false], ['ba*/*.go', '/foo/bar/test.go', true], ['tesT.*', '/foo/bar/test.go', false],
      ['/foo/bar/', '/foo/bar', true], ['/foo/bar', '/foo/baz/', false], ['/foo///bar', '/foo/bar', true],
      ['/foo/../bar', '/foo/bar', false], ['/foo/../bar', '/bar', true], ['/foo', '/foo/baz', true], ['/foo/*', '/foo', false],
      ['/foo/*test.*', '/foo/bar/test.go', false], ['/foo/*/test.*', '/foo/bar/test.go', true],
      ['/*/*/baz/test.*', '/foo/bar/baz/test.go', true], ['/*/foo/bar/test.*', '/foo/bar/baz/test.go', false],
      ['/foo/bar/test.*', 'bar/baz/test.go', false], ['baz/test.*', 'bar/baz/test.go', true],
      ['sdk', '/foo/bar/sdk/test/sdk_foo.go', true], ['sdk/*/cpp/*/*vars*.html', '/usr/share/doc/libreoffice/sdk/docs/cpp/ref/a00517.html', false],
      ['foo/**/bar/*.go', '/home/user/foo/work/special/project/bar/test.go', true], ['foo/**/bar/*.go', 'foo/bar/test.go', true],
      ['foo/**/bar/*.go', 'foo/bar/baz/bar/test.go', true], ['foo/**/bar/*.go', 'bar/foo/main.go', false],
      ['foo/**/bar/*.go', '/foo/bar/main.go', true], ['foo/**/bar/**/x', '/home/user/foo/blaaa/blaz/bar/shared/work/x', true],
      ['user/**/important*', '/home/user/work/x/y/hidden/x', false], ['user/**/hidden*/**/c', '/home/user/work/x/y/hidden/z/a/b/c', true]
    ]
    for (const [p, s, want] of match) expect(filterMatch(p, s), `${p} ${s}`).toBe(want)
    const child: Array<[string, string, boolean]> = [
      ['foo/bar', '/foo', true], ['baz', '/foo/bar', true], ['/foo/bar/baz', '/foo/bar', true], ['/foo/bar/baz', '/foo/baz', false],
      ['/foo/**/qux', '/foo/bar/baz/boo', true], ['/foo/*/qux', '/foo/bar', true], ['/foo/*/qux', '/foo/bar/boo', false],
      ['/baz/bar', '/foo', false], ['/*/**', '/foo/bar', true], ['/bar/*', '/foo', false], ['/foo/*/baz', '/bar/baz', false], ['/**/bar', '/foo/bar', true]
    ]
    for (const [p, s, want] of child) expect(filterChildMatch(p, s), `${p} ${s}`).toBe(want)
  })

  it('cleanPath and joinPath are Go\'s path.Clean and path.Join', () => {
    expect(cleanPath('')).toBe('.')
    expect(cleanPath('/../a//b/./c/..')).toBe('/a/b')
    expect(cleanPath('a/../..')).toBe('..')
    expect(joinPath('/', 'src', 'd')).toBe('/src/d')
    expect(joinPath('', '')).toBe('')
    expect(joinPath('/src/', '../x')).toBe('/x')
  })
})
