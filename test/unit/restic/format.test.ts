import { describe, expect, it } from 'vitest'
import { formatTime, goJsonString, goQuote, goUnquote, parseTime } from '../../../src/restic/util/go-json.js'
import { encodeTree, goFileMode, parseTree, sortNodes, unixPermissions } from '../../../src/restic/repofile/tree.js'
import type { Node } from '../../../src/restic/repofile/tree.js'
import { encodeHeader, parseHeader, packSize } from '../../../src/restic/pack/header.js'
import { encodeSnapshot } from '../../../src/restic/repofile/snapshot.js'

describe('Go-compatible encodings', () => {
  it('quotes names like strconv.Quote and unquotes them back', () => {
    const cases: Array<[string, string]> = [
      ['plain.txt', 'plain.txt'],
      ['quote"and\\backslash.txt', 'quote\\"and\\\\backslash.txt'],
      ['tab\tand\nnewline', 'tab\\tand\\nnewline'],
      ['bell\x07\x01', 'bell\\a\\x01'],
      ['zero\u200bwidth', 'zero\\u200bwidth'],
      ['nbsp\u00a0', 'nbsp\\u00a0'],
      ['ünïcødé-名前.txt', 'ünïcødé-名前.txt'],
      ['emoji 🎉', 'emoji 🎉']
    ]
    for (const [name, quoted] of cases) {
      expect(goQuote(name)).toBe(quoted)
      expect(goUnquote(quoted)).toBe(name)
    }
    expect(goUnquote('\\101\\U0001F389')).toBe('A🎉')
  })

  it('writes JSON strings with Go\'s HTML-safe escaping', () => {
    expect(goJsonString('<a & b>')).toBe('"\\u003ca \\u0026 b\\u003e"')
    expect(goJsonString('\b\f\u2028')).toBe('"\\u0008\\u000c\\u2028"')
    expect(goJsonString('x"\\\n')).toBe('"x\\"\\\\\\n"')
  })

  it('formats and parses RFC 3339 times with nanoseconds', () => {
    const ns = 1_700_000_000_123_456_789n
    expect(formatTime(ns)).toBe('2023-11-14T22:13:20.123456789Z')
    expect(formatTime(1_700_000_000_000_000_000n)).toBe('2023-11-14T22:13:20Z')
    expect(formatTime(1_700_000_000_100_000_000n)).toBe('2023-11-14T22:13:20.1Z')
    expect(parseTime('2023-11-14T22:13:20.123456789Z')).toBe(ns)
    expect(parseTime('2023-11-14T23:13:20.123456789+01:00')).toBe(ns)
    expect(parseTime(formatTime(-1_500_000_000n))).toBe(-1_500_000_000n)
  })

  it('maps Unix modes to Go FileMode and back', () => {
    expect(goFileMode('file', 0o644)).toBe(420)
    expect(goFileMode('dir', 0o755)).toBe(2147484141)
    expect(goFileMode('symlink', 0o777)).toBe(134218239)
    expect(goFileMode('dir', 0o1777)).toBe(2148532735)
    expect(unixPermissions(2148532735)).toBe(0o1777)
    expect(unixPermissions(goFileMode('file', 0o4755))).toBe(0o4755)
  })

  it('sorts tree nodes by UTF-8 bytes and rejects duplicates', () => {
    const n = (name: string): Node => ({ name, type: 'file', mtime: 't', atime: 't', ctime: 't', uid: 0, gid: 0, content: [] })
    // UTF-16 order would put U+FF5E before U+1F389; byte order puts it first too, but 'Z' < 'a' < 'é'.
    expect(sortNodes([n('é'), n('a'), n('Z'), n('🎉'), n('～')]).map(x => x.name)).toEqual(['Z', 'a', 'é', '～', '🎉'])
    expect(() => sortNodes([n('a'), n('a')])).toThrow(/duplicate/)
    const bytes = encodeTree([n('b'), n('a"')])
    expect(new TextDecoder().decode(bytes)).toBe('{"nodes":[{"name":"a\\\\\\"","type":"file","mtime":"t","atime":"t","ctime":"t","uid":0,"gid":0,"content":[]},{"name":"b","type":"file","mtime":"t","atime":"t","ctime":"t","uid":0,"gid":0,"content":[]}]}\n')
    expect(parseTree(bytes).nodes.map(x => x.name)).toEqual(['a"', 'b'])
  })

  it('encodes pack headers (plain and compressed entries) and snapshots', () => {
    const blobs = [
      { type: 'data' as const, id: 'aa'.repeat(32), offset: 0, length: 100 },
      { type: 'tree' as const, id: 'bb'.repeat(32), offset: 100, length: 50, uncompressedLength: 400 }
    ]
    const h = encodeHeader(blobs)
    expect(h.length).toBe(37 + 41)
    expect(h[0]).toBe(0)
    expect(h[37]).toBe(3)
    expect(parseHeader(h)).toEqual([{ ...blobs[0], uncompressedLength: undefined }, blobs[1]])
    expect(packSize(blobs)).toBe(150 + 37 + 41 + 32 + 4)
    expect(encodeSnapshot({ time: 'T', tree: 'x', paths: ['/p'], hostname: 'h', tags: [], uid: 0 })).toBe('{"time":"T","tree":"x","paths":["/p"],"hostname":"h"}')
  })
})

describe('zstd', () => {
  it('round-trips, and decodes frames without a content size larger than the default buffer', async () => {
    const { compress, decompress } = await import('../../../src/restic/util/zstd.js')
    const text = new TextEncoder().encode('restic '.repeat(100_000))
    const c = await compress(text)
    expect(await decompress(c, text.length)).toEqual(text)
    await expect(decompress(c, text.length + 1)).rejects.toThrow()
    // A 20 MiB frame whose header carries no content size: magic, descriptor 0x00 (no FCS, not
    // single-segment), window 512 KiB (0x48), then 160 RLE blocks of 128 KiB of 'a'.
    const blocks = 160
    const frame = new Uint8Array(6 + blocks * 4)
    frame.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x48])
    for (let i = 0; i < blocks; i++) {
      const h = (i === blocks - 1 ? 1 : 0) | (1 << 1) | (128 * 1024 << 3)
      frame.set([h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, 0x61], 6 + 4 * i)
    }
    const out = await decompress(frame)
    expect(out.length).toBe(20 * 1024 * 1024)
    expect(out.every(b => b === 0x61)).toBe(true)
  })
})
