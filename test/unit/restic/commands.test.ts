/**
 * `cairn restic diff|stats|find|dump|tag|key passwd` against real restic 0.14 on one repository
 * restic made: two snapshots of a tree with folders, a changed file, a removed and an added
 * folder, an empty file, a hard link, a symlink, a multi-blob file, a name that is not ASCII, a path
 * longer than 100 bytes, a time before 1970 and (when python3 can set one) an extended attribute.
 * Each command's output is compared with restic's on the same repository: JSON parsed and compared
 * whole (no field of these commands depends on the run), text compared line for line, dump byte
 * for byte and entry by entry. tag and key passwd are checked by restic reading the result.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-restic-cmds-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
let env: Record<string, string> = { RESTIC_PASSWORD: 'commands', RESTIC_REPOSITORY: join(root, 'repo') }

type IO = CommandIO & { stdout: string, stderr: string, bytes: () => Buffer }
function io (): IO {
  const chunks: Buffer[] = []
  const x: IO = {
    stdout: '',
    stderr: '',
    out: (t: string) => { x.stdout += t },
    err: (t: string) => { x.stderr += t },
    write: async (b: Uint8Array) => { chunks.push(Buffer.from(b)) },
    bytes: () => Buffer.concat(chunks),
    stdoutIsTTY: false,
    signal: new AbortController().signal,
    cwd: root,
    env
  }
  return x
}

async function cairn (args: string[]): Promise<IO> {
  const x = io()
  const code = await main(['restic', ...args], x)
  if (code !== 0) throw new Error(`cairn restic ${args.join(' ')} exited ${code}: ${x.stderr}`)
  return x
}

async function restic (args: string[], extraEnv: Record<string, string> = {}): Promise<Buffer> {
  const { stdout } = await run('restic', ['--no-cache', ...args], { cwd: root, env: { ...process.env, ...env, ...extraEnv }, maxBuffer: 64 << 20, encoding: 'buffer' })
  return stdout
}
const resticText = async (args: string[]): Promise<string> => (await restic(args)).toString('utf8')
const lines = (s: string): unknown[] => s.trim().split('\n').map(l => JSON.parse(l) as unknown)

/** Each test runs cairn and restic a dozen times or more (each opens the repository with scrypt): allow for a busy machine. */
const SLOW = 300_000
const LONG_DIR = `src/${'l'.repeat(60)}/${'m'.repeat(60)}`
let ids: string[] = []
let hasXattr = false

/** Entries of a tar: name (PAX path when given), type, size, mode, mtime, link, xattrs and content. */
function tarEntries (tar: Buffer): Array<Record<string, string | number>> {
  const out: Array<Record<string, string | number>> = []
  let pax: Record<string, string> = {}
  for (let off = 0; off + 512 <= tar.length;) {
    const h = tar.subarray(off, off + 512)
    if (h.every(b => b === 0)) break
    const field = (a: number, n: number): string => h.subarray(a, a + n).toString('latin1').replace(/\0.*$/s, '')
    const size = parseInt(field(124, 12), 8)
    const body = tar.subarray(off + 512, off + 512 + size)
    off += 512 + Math.ceil(size / 512) * 512
    const type = field(156, 1)
    if (type === 'x') {
      pax = {}
      for (let s = body.toString('latin1'); s.length > 0;) {
        const len = parseInt(s, 10)
        const rec = s.slice(s.indexOf(' ') + 1, len - 1)
        pax[rec.slice(0, rec.indexOf('='))] = rec.slice(rec.indexOf('=') + 1)
        s = s.slice(len)
      }
      continue
    }
    const prefix = field(345, 155)
    const name = pax.path ?? (prefix !== '' ? `${prefix}/${field(0, 100)}` : field(0, 100))
    out.push({ name: Buffer.from(name, 'latin1').toString('utf8'), type, size, mode: field(100, 8), mtime: pax.mtime ?? String(parseInt(field(136, 12), 8)), link: field(157, 100), uname: field(265, 32), xattr: pax['SCHILY.xattr.user.cairn'] ?? '', acl: pax['SCHILY.acl.access'] ?? '', content: body.toString('base64') })
    pax = {}
  }
  return out
}

/** Entries of a zip from its central directory: name, Unix mode, size, CRC and content. */
function zipEntries (zip: Buffer): Array<Record<string, string | number>> {
  const end = zip.length - 22
  expect(zip.readUInt32LE(end)).toBe(0x06054b50)
  const out: Array<Record<string, string | number>> = []
  let p = zip.readUInt32LE(end + 16)
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const nameLen = zip.readUInt16LE(p + 28)
    const extraLen = zip.readUInt16LE(p + 30)
    const size = zip.readUInt32LE(p + 24)
    const local = zip.readUInt32LE(p + 42)
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    out.push({ name, mode: (zip.readUInt32LE(p + 38) >>> 16).toString(8), size, crc: zip.readUInt32LE(p + 16), content: zip.subarray(data, data + size).toString('base64') })
    p += 46 + nameLen + extraLen + zip.readUInt16LE(p + 32)
  }
  return out
}

beforeAll(async () => {
  const src = join(root, 'src')
  mkdirSync(join(src, 'd', 'e'), { recursive: true })
  mkdirSync(join(src, 'gone'))
  mkdirSync(join(root, LONG_DIR), { recursive: true })
  writeFileSync(join(src, 'a.txt'), 'first\n')
  writeFileSync(join(src, 'empty'), '')
  writeFileSync(join(src, 'd', 'b.txt'), 'B\n')
  writeFileSync(join(src, 'd', 'b-copy.txt'), 'B\n')
  writeFileSync(join(src, 'd', 'e', 'c.json'), '{"c":1}\n')
  writeFileSync(join(src, 'gone', 'x'), 'removed later\n')
  writeFileSync(join(src, 'héllo.txt'), 'not ascii\n')
  writeFileSync(join(root, LONG_DIR, 'deep.txt'), 'deep\n')
  // several blobs (restic's chunks average 1 MiB); random, so it does not compress away
  writeFileSync(join(src, 'big.bin'), randomBytes(3 << 20))
  linkSync(join(src, 'a.txt'), join(src, 'hard'))
  symlinkSync('a.txt', join(src, 'link'))
  writeFileSync(join(src, 'old'), 'before 1970\n')
  utimesSync(join(src, 'old'), '-157766399.7', '-157766399.7')
  try {
    await run('python3', ['-c', `import os; os.setxattr(${JSON.stringify(join(src, 'd', 'b.txt'))}, 'user.cairn', b'value')`])
    // a POSIX ACL (version 2; user::rw-, user:1000:r--, group::r--, mask::r--, other::r--), which dump writes as SCHILY.acl.access
    await run('python3', ['-c', `import os, struct; e = lambda t, p, i: struct.pack('<HHI', t, p, i); os.setxattr(${JSON.stringify(join(src, 'd', 'e', 'c.json'))}, 'system.posix_acl_access', struct.pack('<I', 2) + e(1, 6, 0xffffffff) + e(2, 4, 1000) + e(4, 4, 0xffffffff) + e(16, 4, 0xffffffff) + e(32, 4, 0xffffffff))`])
    hasXattr = true
  } catch { /* no python3 or no user xattrs here: that entry is then plain */ }
  await restic(['init'])
  await restic(['backup', '--host', 'h1', '--tag', 'one', '--tag', 'two', 'src'])
  writeFileSync(join(src, 'a.txt'), 'second, longer\n')
  rmSync(join(src, 'gone'), { recursive: true })
  mkdirSync(join(src, 'new'))
  writeFileSync(join(src, 'new', 'n'), 'n\n')
  await run('chmod', ['600', join(src, 'd', 'b.txt')])
  await restic(['backup', '--host', 'h2', '--tag', 'two', 'src'])
  ids = (JSON.parse(await resticText(['snapshots', '--json'])) as Array<{ id: string, time: string }>)
    .sort((a, b) => a.time.localeCompare(b.time)).map(s => s.id)
  expect(ids).toHaveLength(2)
}, 120_000)

describe('diff, stats, find and dump print what restic 0.14 prints', () => {
  it('diff: text, --json and --metadata', async () => {
    const [a, b] = [ids[0]!.slice(0, 8), ids[1]!]
    for (const extra of [[], ['--metadata']]) {
      const ours = await cairn(['diff', ...extra, a, b])
      expect(ours.stdout).toBe(await resticText(['diff', ...extra, a, b]))
      const json = await cairn(['diff', '--json', ...extra, a, b])
      expect(lines(json.stdout)).toEqual(lines(await resticText(['diff', '--json', ...extra, a, b])))
    }
    const meta = lines((await cairn(['diff', '--json', '--metadata', a, b])).stdout)
    expect(meta).toContainEqual({ message_type: 'change', path: '/src/a.txt', modifier: 'M' })
    expect(meta).toContainEqual({ message_type: 'change', path: '/src/d/b.txt', modifier: 'U' })
    expect(meta).toContainEqual({ message_type: 'change', path: '/src/gone/', modifier: '-' })
    expect(meta).toContainEqual({ message_type: 'change', path: '/src/new/n', modifier: '+' })
  }, SLOW)

  it('stats in every mode, for all snapshots, one, and latest with a filter', async () => {
    for (const mode of ['restore-size', 'files-by-contents', 'raw-data', 'blobs-per-file']) {
      for (const sel of [[], [ids[0]!.slice(0, 8)], ['latest', '--host', 'h1']]) {
        const ours = JSON.parse((await cairn(['stats', '--json', '--mode', mode, ...sel])).stdout) as Record<string, number>
        expect(ours, `${mode} ${sel.join(' ')}`).toEqual(JSON.parse(await resticText(['stats', '--json', '--mode', mode, ...sel])))
        expect(ours.total_size).toBeGreaterThan(3 << 20)
      }
      expect((await cairn(['stats', '--mode', mode])).stdout).toBe(await resticText(['stats', '--mode', mode]))
    }
  }, SLOW)

  it('find: patterns, --ignore-case, --long, -s, and --host/--tag/--path filters', async () => {
    const both = ['-s', ids[0]!, '-s', ids[1]!.slice(0, 8)]
    const cases = [
      [...both, '*.txt'], [...both, 'd'], [...both, '/src/d/*'], [...both, '**/e/*', 'empty'], [...both, '-i', 'HÉLLO*'],
      [...both, '--long', '*'], [...both, '[a-c]*'], [...both, 'src/d/e/c.json'], [...both, `${'l'.repeat(60)}/**`],
      ['--tag', 'one', 'b*'], ['--host', 'h2', '*.txt'], ['--path', join(root, 'src'), '--tag', 'two,one', '*'], ['nothing-matches']
    ]
    for (const args of cases) {
      const ours = await cairn(['find', '--json', ...args])
      const theirs = await resticText(['find', '--json', ...args])
      expect(JSON.parse(ours.stdout), args.join(' ')).toEqual(JSON.parse(theirs))
      expect((await cairn(['find', ...args])).stdout, args.join(' ')).toBe(await resticText(['find', ...args]))
    }
    const hits = JSON.parse((await cairn(['find', '--json', ...both, '*.txt'])).stdout) as Array<{ hits: number }>
    expect(hits.map(h => h.hits)).toEqual([5, 5])
  }, SLOW)

  it('find --tree, --blob and --pack', async () => {
    const tree = JSON.parse(await resticText(['cat', 'blob', JSON.parse(await resticText(['cat', 'snapshot', ids[1]!])).tree])) as { nodes: Array<{ subtree: string }> }
    const srcTree = tree.nodes[0]!.subtree
    const dTree = (JSON.parse(await resticText(['cat', 'blob', srcTree])) as { nodes: Array<{ name: string, subtree?: string, content?: string[] }> }).nodes
    const dSub = dTree.find(n => n.name === 'd')!.subtree!
    const bigBlobs = dTree.find(n => n.name === 'big.bin')!.content!
    expect(bigBlobs.length).toBeGreaterThan(1)
    const packs = (await resticText(['list', 'packs'])).trim().split('\n')
    for (const args of [
      ['--tree', dSub.slice(0, 8)], ['--tree', srcTree, dSub], ['--blob', bigBlobs[1]!, bigBlobs[0]!.slice(0, 8)], ['--pack', packs[0]!.slice(0, 8)],
      ['--show-pack-id', '--blob', bigBlobs[1]!], ['--show-pack-id', '--tree', dSub.slice(0, 8)], ['--show-pack-id', '--blob', '0'.repeat(64)]
    ]) {
      const all = ['-s', ids[0]!, '-s', ids[1]!, ...args]
      const [ours, theirs] = [(await cairn(['find', '--json', ...all])).stdout, await resticText(['find', '--json', ...all])]
      // --show-pack-id adds text lines after the JSON (restic too): compared as text
      if (args[0] === '--show-pack-id') expect(ours, args.join(' ')).toBe(theirs)
      else expect(JSON.parse(ours), args.join(' ')).toEqual(JSON.parse(theirs))
      expect((await cairn(['find', ...all])).stdout, args.join(' ')).toBe(await resticText(['find', ...all]))
    }
  }, SLOW)

  it('dump: a file\'s bytes, an empty file, and folders as the tar and the zip restic writes', async () => {
    for (const p of ['/src/big.bin', '/src/empty', 'src/d/e/c.json', `/${LONG_DIR}/deep.txt`]) {
      const ours = (await cairn(['dump', ids[1]!, p])).bytes()
      expect(ours.equals(await restic(['dump', ids[1]!, p])), p).toBe(true)
    }
    expect((await cairn(['dump', 'latest', '/src/big.bin'])).bytes().length).toBe(3 << 20)
    for (const p of ['/src/d', '/src', '/', `src/${'l'.repeat(60)}`]) {
      const ours = (await cairn(['dump', ids[0]!.slice(0, 8), p])).bytes()
      const theirs = await restic(['dump', ids[0]!.slice(0, 8), p])
      const entries = tarEntries(ours)
      expect(entries, p).toEqual(tarEntries(theirs))
      expect(ours.equals(theirs), p).toBe(true)
      expect(entries.length).toBeGreaterThan(1)
    }
    for (const p of ['/src/d', '/']) {
      const ours = (await cairn(['dump', '--archive', 'zip', ids[0]!, p])).bytes()
      const theirs = await restic(['dump', '--archive', 'zip', ids[0]!, p])
      expect(zipEntries(ours), p).toEqual(zipEntries(theirs))
      expect(ours.equals(theirs), p).toBe(true)
    }
    const zipped = zipEntries((await cairn(['dump', '-a', 'zip', ids[0]!, '/'])).bytes())
    expect(zipped.find(e => e.name === 'src/link')).toMatchObject({ mode: '120777', content: Buffer.from('a.txt').toString('base64') })
    expect(zipped.find(e => e.name === 'src/big.bin')?.size).toBe(3 << 20)
    const all = tarEntries((await cairn(['dump', ids[0]!, '/'])).bytes())
    expect(all.find(e => e.name === 'src/héllo.txt')?.content).toBe(Buffer.from('not ascii\n').toString('base64'))
    expect(all.find(e => e.name === `${LONG_DIR}/deep.txt`)).toBeDefined()
    expect(all.find(e => e.name === 'src/link')).toMatchObject({ type: '2', link: 'a.txt' })
    expect(all.find(e => e.name === 'src/old')?.mtime).toBe('-157766400')
    if (hasXattr) {
      expect(all.find(e => e.name === 'src/d/b.txt')?.xattr).toBe('value')
      expect(all.find(e => e.name === 'src/d/e/c.json')?.acl).toBe('user::rw-\nuser:1000:r--\ngroup::r--\nmask::r--\nother::r--\n')
    }
  }, SLOW)

  it('dump refuses what restic refuses', async () => {
    const x = io()
    expect(await main(['restic', 'dump', 'latest', '/src/link'], x)).toBe(1)
    expect(x.stderr).toContain('"/src/link" should be a file, but is a "symlink"')
    const y = io()
    expect(await main(['restic', 'dump', 'latest', '/src/nope'], y)).toBe(1)
    expect(y.stderr).toContain('path "/src/nope" not found in snapshot')
    const z = io()
    z.stdoutIsTTY = true
    expect(await main(['restic', 'dump', 'latest', '/src/d'], z)).toBe(1)
    expect(z.stderr).toContain('stdout is the terminal')
  }, SLOW)
})

describe('tag and key passwd leave what restic 0.14 reads', () => {
  it('tag --add/--remove/--set: new IDs, the original kept, tags as restic orders them', async () => {
    // the same changes by restic on a copy, to compare the tags restic would write
    const copy = join(root, 'repo-copy')
    cpSync(join(root, 'repo'), copy, { recursive: true })
    const changes = [['--add', 'x,y', '--remove', 'one', ids[0]!.slice(0, 8)], ['--tag', 'two', '--add', 'z'], ['--host', 'h2', '--remove', 'two']]
    for (const c of changes) {
      const ours = await cairn(['tag', ...c])
      expect(ours.stdout).toMatch(/^create exclusive lock for repository\nmodified tags on [12] snapshots\n$/)
      await restic(['tag', ...c], { RESTIC_REPOSITORY: copy })
    }
    type Snap = { id: string, time: string, tags?: string[], original?: string, tree: string }
    const bytime = (s: Snap[]): Snap[] => s.sort((a, b) => a.time.localeCompare(b.time))
    const ourSnaps = bytime(JSON.parse(await resticText(['snapshots', '--json'])) as Snap[])
    const theirSnaps = bytime(JSON.parse((await restic(['snapshots', '--json'], { RESTIC_REPOSITORY: copy })).toString()) as Snap[])
    expect(ourSnaps.map(s => s.tags)).toEqual(theirSnaps.map(s => s.tags))
    expect(ourSnaps.map(s => s.tags)).toEqual([['y', 'two', 'x', 'z'], ['z']])
    expect(ourSnaps.map(s => s.original)).toEqual(ids)
    expect(ourSnaps.map(s => s.original)).toEqual(theirSnaps.map(s => s.original))
    expect(ourSnaps.map(s => s.tree)).toEqual(theirSnaps.map(s => s.tree))
    expect(ourSnaps.some(s => ids.includes(s.id))).toBe(false)
    await cairn(['tag', '--set', '', ourSnaps[0]!.id.slice(0, 8)])
    const cleared = bytime(JSON.parse(await resticText(['snapshots', '--json'])) as Snap[])
    expect(cleared[0]!.tags).toBeUndefined()
    expect(cleared[0]!.original).toBe(ids[0])
    const bad = io()
    expect(await main(['restic', 'tag', '--set', 'a', '--add', 'b'], bad)).toBe(1)
    expect(bad.stderr).toContain('cannot be given at the same time')
    ids = cleared.map(s => s.id)
  }, SLOW)

  it('key passwd: the new password opens the repository for restic, the old one no longer does', async () => {
    writeFileSync(join(root, 'new-pw'), 'the new one\n')
    const before = JSON.parse(await resticText(['key', 'list', '--json'])) as Array<{ id: string }>
    const x = await cairn(['key', 'passwd', '--new-password-file', 'new-pw'])
    expect(x.stdout).toMatch(/^saved new key as [0-9a-f]{8}/)
    await expect(resticText(['snapshots'])).rejects.toThrow(/wrong password/)
    env = { ...env, RESTIC_PASSWORD: 'the new one' }
    expect((await resticText(['snapshots', '--json']))).toContain(ids[0])
    const after = JSON.parse(await resticText(['key', 'list', '--json'])) as Array<{ id: string, current: boolean }>
    expect(after).toHaveLength(before.length)
    expect(after.map(k => k.id)).not.toContain(before[0]!.id)
    expect(await resticText(['check'])).toContain('no errors were found')
  }, SLOW)
})
