import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAll } from '../../../src/ipfs/add/index.js'
import { main } from '../../../src/node/cli/main.js'
import { text, vectors } from './helpers.js'
import { captureIO as capture } from '../../helpers/cli-io.js'
import type { CapturedIO } from '../../helpers/cli-io.js'

function captureIO (cwd: string, env: Record<string, string> = {}): CapturedIO {
  return capture({ cwd, env })
}

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'cairn-add-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5 }) })

async function cairn (args: string[], env: Record<string, string> = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  const io = captureIO(dir, env)
  const code = await main(args, io)
  return { code, stdout: io.stdout, stderr: io.stderr }
}

async function writeTree (root: string, tree: Record<string, string>): Promise<void> {
  await mkdir(root, { recursive: true })
  for (const [path, content] of Object.entries(tree)) {
    const full = join(root, path)
    await mkdir(join(full, '..'), { recursive: true })
    await writeFile(full, content)
  }
}

describe('cairn add', () => {
  it('literal file vectors, printed Kubo-style and with --quiet', async () => {
    for (const v of vectors.files_literal) {
      await writeFile(join(dir, `${v.id}.txt`), v.content)
      const r = await cairn(['add', '--only-hash', '--profile', v.profile, `${v.id}.txt`])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe(`added ${v.cid} ${v.id}.txt\n`)
      const q = await cairn(['add', '-n', '-q', '--profile', v.profile, join(dir, `${v.id}.txt`)])
      expect(q.stdout).toBe(`${v.cid}\n`)
    }
  })

  it('zero-filled file vectors up to 10 MiB (larger ones run through the core API)', async () => {
    for (const v of vectors.files_zero_filled.filter(z => z.length <= 10 * 1024 * 1024)) {
      await writeFile(join(dir, `${v.id}.bin`), new Uint8Array(v.length))
      const r = await cairn(['add', '-nq', '--profile', v.profile, `${v.id}.bin`])
      expect(r.stdout, `${v.id} ${r.stderr}`).toBe(`${v.cid}\n`)
      await rm(join(dir, `${v.id}.bin`))
    }
  })

  it('directory vectors: the directory CID covers its entries, not its own name', async () => {
    for (const v of vectors.directories) {
      const root = join(dir, `tree-${v.id}`)
      await writeTree(root, v.tree)
      const r = await cairn(['add', '-n', '--profile', v.profile, root])
      expect(r.stdout, r.stderr).toBe(`added ${v.cid} tree-${v.id}\n`)
    }
  })

  it('Unicode names are stored as UTF-8 and match the core API', async () => {
    const tree = { 'été 🌍.txt': 'soleil\n', 'données/日本語.md': '# こんにちは\n' }
    const root = join(dir, 'unicode')
    await writeTree(root, tree)
    const r = await cairn(['add', '-nq', root])
    const bs = new MemoryBlockstore()
    const [expected] = await addAll(bs, [{ path: 'x' }, ...Object.entries(tree).map(([p, c]) => ({ path: `x/${p}`, content: text(c) }))])
    expect(r.stdout).toBe(`${expected?.cid.toString()}\n`)
    const parts: Uint8Array[] = []
    for await (const p of bs.get(expected!.cid)) parts.push(p)
    expect(dagPb.decode(Buffer.concat(parts)).Links.map(l => l.Name)).toEqual(['données', 'été 🌍.txt'])
  })

  it('skips hidden names unless --hidden, as Kubo does', async () => {
    const root = join(dir, 'hid')
    await writeTree(root, { 'a.txt': 'a', '.secret': 's' })
    const plain = await cairn(['add', '-nq', root])
    const withHidden = await cairn(['add', '-nq', '-H', root])
    const [visible] = await addAll(new MemoryBlockstore(), [{ path: 'h' }, { path: 'h/a.txt', content: text('a') }])
    const [all] = await addAll(new MemoryBlockstore(), [{ path: 'h' }, { path: 'h/a.txt', content: text('a') }, { path: 'h/.secret', content: text('s') }])
    expect(plain.stdout).toBe(`${visible?.cid.toString()}\n`)
    expect(withHidden.stdout).toBe(`${all?.cid.toString()}\n`)
  })

  it('a missing path fails, naming the path and saying what to do', async () => {
    const r = await cairn(['add', '-n', 'no-such-file.txt'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('"no-such-file.txt" does not exist')
    expect(r.stderr).toContain('Check the spelling')
  })

  it('symlinks are stored as symlinks, never followed (Kubo default), even when dangling', async () => {
    await symlink('gone/target.txt', join(dir, 'dangling'))
    const d = await cairn(['add', '-nq', 'dangling'])
    expect(d.code, d.stderr).toBe(0)
    const [expected] = await addAll(new MemoryBlockstore(), [{ path: 'dangling', link: 'gone/target.txt' }])
    expect(expected?.type).toBe('symlink')
    expect(d.stdout).toBe(`${expected?.cid.toString()}\n`)
  })

  it('an unknown profile is a clear error', async () => {
    await writeFile(join(dir, 'p.txt'), 'p')
    const r = await cairn(['add', '-n', '--profile', 'unixfs-v2', 'p.txt'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('unixfs-v0-2015, unixfs-v1-2025')
  })

  it('stores and pins in the repo; car export/import round trip; bad CARs and missing blocks are named', async () => {
    const repoA = join(dir, 'repoA')
    const repoB = join(dir, 'repoB')
    const root = join(dir, 'store-tree')
    await writeTree(root, { 'a.txt': 'alpha\n', 'b/c.txt': 'gamma\n' })
    const added = await cairn(['add', '-q', root], { CAIRN_HOME: repoA })
    expect(added.code, added.stderr).toBe(0)
    const cid = added.stdout.trim()
    expect(cid).toBe((await cairn(['add', '-nq', root])).stdout.trim())

    const exp = await cairn(['car', 'export', cid, '-o', 'tree.car', '--repo-dir', repoA])
    expect(exp.code, exp.stderr).toBe(0)
    const imp = await cairn(['car', 'import', 'tree.car', '--repo-dir', repoB])
    expect(imp.code, imp.stderr).toBe(0)
    expect(imp.stdout).toBe(`pinned root ${cid}\n`)
    const again = await cairn(['car', 'export', cid, '-o', 'again.car', '--repo-dir', repoB])
    expect(again.code, again.stderr).toBe(0)
    expect((await readFile(join(dir, 'again.car'))).equals(await readFile(join(dir, 'tree.car')))).toBe(true)

    // Corrupt: flip the last byte (inside the last block's data).
    const car = await readFile(join(dir, 'tree.car'))
    car[car.length - 1] = (car[car.length - 1] ?? 0) ^ 1
    await writeFile(join(dir, 'bad.car'), car)
    const bad = await cairn(['car', 'import', 'bad.car', '--repo-dir', join(dir, 'repoC')])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/bad\.car: .*do not match their CIDs: (Qm|baf)\w+ \(at byte \d+\)/)

    await writeFile(join(dir, 'short.car'), car.subarray(0, car.length - 3))
    const short = await cairn(['car', 'import', 'short.car', '--repo-dir', join(dir, 'repoC')])
    expect(short.code).toBe(1)
    expect(short.stderr).toMatch(/short\.car: The CAR is truncated: block (Qm|baf)\w+ .* ends at byte \d+/)

    // Missing blocks on export: a CID this repo has never seen.
    await writeFile(join(dir, 'never-stored.txt'), 'not in repo A')
    const other = await cairn(['add', '-nq', join(dir, 'never-stored.txt')])
    const missing = await cairn(['car', 'export', other.stdout.trim(), '-o', 'missing.car', '--repo-dir', repoA])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`Block ${other.stdout.trim()} is not in the local store`)
    await expect(readFile(join(dir, 'missing.car'))).rejects.toThrow()
    await expect(readFile(join(dir, 'missing.car.partial'))).rejects.toThrow()
  })

  it('runs as a real subprocess: node bin/cairn.mjs add', async () => {
    const v = vectors.files_literal.find(f => f.id === 'F5')
    if (v === undefined) throw new Error('vector F5 missing')
    await writeFile(join(dir, 'sub.txt'), v.content)
    const { stdout } = await promisify(execFile)(process.execPath, [join(process.cwd(), 'bin/cairn.mjs'), 'add', '--only-hash', '--quiet', join(dir, 'sub.txt')], { cwd: process.cwd() })
    expect(stdout).toBe(`${v.cid}\n`)
    const kubo = await promisify(execFile)(process.execPath, [join(process.cwd(), 'bin/cairn.mjs'), 'add', '-n', join(dir, 'sub.txt')], { cwd: process.cwd() })
    expect(kubo.stdout).toBe(`added ${v.cid} sub.txt\n`)
  })
})
