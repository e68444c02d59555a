/**
 * Extended attributes against real restic 0.14 (issue #16): restic's snapshot restored by
 * `cairn restic restore` keeps them; `cairn restic backup` stores the very tree restic stores (same
 * tree IDs, so the same JSON) and restic restores them from it; symbolic links' are never read.
 * Needs user.* attributes on the temp file system: where it refuses them, the tests are skipped and
 * say why.
 */
import { execFile } from 'node:child_process'
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr'
import type * as Xattr from '@napi-rs/xattr'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'

/** Every path the code under test asks the xattr module about (the module itself is real). */
const asked = vi.hoisted(() => [] as string[])
vi.mock('@napi-rs/xattr', async (importOriginal) => {
  const real = await importOriginal<typeof Xattr>()
  return {
    ...real,
    listAttributes: async (p: string) => { asked.push(p); return await real.listAttributes(p) },
    getAttribute: async (p: string, n: string) => { asked.push(p); return await real.getAttribute(p, n) }
  }
})

const run = promisify(execFile)
const root = mkdtempSync(join(tmpdir(), 'cairn-xattr-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
const env = { RESTIC_PASSWORD: 'xattr', RESTIC_REPOSITORY: join(root, 'repo') }

/** Why user.* attributes cannot be tested here, or undefined when they can. */
function unsupported (): string | undefined {
  const probe = join(root, 'probe')
  writeFileSync(probe, '')
  try {
    setAttributeSync(probe, 'user.probe', 'x')
    return undefined
  } catch (err) {
    return `the temp file system (${tmpdir()}) refuses user.* extended attributes: ${(err as Error).message}`
  } finally {
    rmSync(probe)
  }
}
const skip = unsupported()
if (skip !== undefined) console.warn(`xattr tests skipped: ${skip}`)

function io (): CommandIO & { stdout: string, stderr: string } {
  const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: root, env }
  return x
}

async function restic (args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('restic', ['--no-cache', ...args], { cwd: root, env: { ...process.env, ...env, ...extraEnv }, maxBuffer: 64 << 20 })
  return stdout
}

/** name → value (hex), in the order the system lists them (not the order they were set in). */
function attrs (p: string): Array<[string, string]> {
  return listAttributesSync(p).map(n => [n, (getAttributeSync(p, n) ?? Buffer.from('missing')).toString('hex')])
}

const BINARY = Buffer.from([0x00, 0xff, 0x01, 0x80, 0x0a, 0x22, 0x5c])
const FILE_ATTRS: Array<[string, Buffer]> = [['user.zeta', Buffer.from('last name first')], ['user.binary', BINARY], ['user.empty', Buffer.alloc(0)], ['user.text', Buffer.from('héllo "quoted"')]]

describe.skipIf(skip !== undefined)(skip === undefined ? 'extended attributes as restic 0.14' : `extended attributes as restic 0.14 (skipped: ${skip})`, () => {
  const src = join(root, 'src')
  const file = join(src, 'f.txt')
  const dir = join(src, 'd')

  /** A snapshot by ID, or the latest (restic 0.14's `cat snapshot` takes no "latest"). */
  async function snapshot (id?: string): Promise<{ tree: string }> {
    const all = JSON.parse(await restic(['snapshots', '--json'])) as Array<{ id: string, time: string, tree: string }>
    const s = id === undefined ? all.sort((a, b) => a.time.localeCompare(b.time)).pop() : all.find(s => s.id === id)
    if (s === undefined) throw new Error(`no snapshot ${id ?? 'latest'}`)
    return s
  }
  async function tree (id: string): Promise<Array<{ name: string, subtree?: string, extended_attributes?: Array<{ name: string, value: string }> }>> {
    return (JSON.parse(await restic(['cat', 'blob', id])) as { nodes: Array<{ name: string, subtree?: string, extended_attributes?: Array<{ name: string, value: string }> }> }).nodes
  }

  it('restic backs up attributes of a file and a folder; cairn restic restore puts them back', async () => {
    mkdirSync(join(dir, 'inner'), { recursive: true })
    writeFileSync(file, 'with attributes\n')
    writeFileSync(join(dir, 'inner', 'plain'), 'none\n')
    for (const [n, v] of FILE_ATTRS) setAttributeSync(file, n, v)
    setAttributeSync(dir, 'user.folder', 'on a folder')
    symlinkSync('f.txt', join(src, 'link'))
    await restic(['init'])
    await restic(['backup', 'src'])

    // restic stored them (binary and empty values included): the case is really there.
    const top = await tree((await snapshot()).tree)
    const inSrc = await tree(top[0]!.subtree!)
    expect(inSrc.find(n => n.name === 'f.txt')!.extended_attributes!.map(a => a.name)).toEqual(listAttributesSync(file))
    expect(listAttributesSync(file).sort()).toEqual(FILE_ATTRS.map(([n]) => n).sort())

    const target = join(root, 'by-cairn')
    const x = io()
    expect(await main(['restic', 'restore', 'latest', '--target', target], x)).toBe(0)
    expect(x.stderr).toBe('')
    expect(attrs(join(target, 'src', 'f.txt'))).toEqual(attrs(file))
    expect(attrs(file).sort()).toEqual(FILE_ATTRS.map(([n, v]) => [n, v.toString('hex')]).sort())
    expect(attrs(join(target, 'src', 'd'))).toEqual([['user.folder', Buffer.from('on a folder').toString('hex')]])
    expect(attrs(join(target, 'src', 'd', 'inner', 'plain'))).toEqual([])
  })

  it('cairn restic backup stores the tree restic stores, and restic restores the attributes from it', async () => {
    const theirs = await snapshot()
    asked.length = 0
    const x = io()
    expect(await main(['restic', 'backup', '--json', 'src'], x)).toBe(0)
    expect(x.stderr).toBe('')
    const id = (JSON.parse(x.stdout.trim().split('\n').pop()!) as { snapshot_id: string }).snapshot_id
    const ours = await snapshot(id)
    // Same tree ID: every tree on the way, attributes included, is byte for byte restic's.
    expect(ours.tree).toBe(theirs.tree)
    const inSrc = await tree((await tree(ours.tree))[0]!.subtree!)
    expect(inSrc.find(n => n.name === 'f.txt')!.extended_attributes).toEqual(attrs(file).map(([name, v]) => ({ name, value: Buffer.from(v, 'hex').toString('base64') })))
    expect(inSrc.find(n => n.name === 'd')!.extended_attributes).toEqual([{ name: 'user.folder', value: Buffer.from('on a folder').toString('base64') }])

    const target = join(root, 'by-restic')
    await restic(['restore', id, '--target', target])
    expect(attrs(join(target, 'src', 'f.txt'))).toEqual(attrs(file))
    expect(attrs(join(target, 'src', 'd'))).toEqual([['user.folder', Buffer.from('on a folder').toString('hex')]])
  })

  it('never reads the attributes of a symbolic link (as restic)', async () => {
    // The backup above asked about the link's target and folder, never about the link itself.
    expect(asked).toContain(file)
    expect(asked).toContain(dir)
    expect(asked).not.toContain(join(src, 'link'))
    const ours = await snapshot()
    const link = (await tree((await tree(ours.tree))[0]!.subtree!)).find(n => n.name === 'link')!
    expect(link.extended_attributes).toBeUndefined()
  })

  it('leaves out, with a warning naming it, the attributes of a path that is not UTF-8', async () => {
    // The attribute is set under a UTF-8 name, then the folder gets a name that is not UTF-8.
    const raw = join(root, 'raw')
    mkdirSync(join(raw, 'ok'), { recursive: true })
    writeFileSync(join(raw, 'ok', 'g'), 'g\n')
    setAttributeSync(join(raw, 'ok', 'g'), 'user.kept', 'v')
    const bad = Buffer.concat([Buffer.from(raw + '/bad-'), Buffer.from([0xff]), Buffer.from('-')])
    renameSync(join(raw, 'ok'), bad)
    await restic(['backup', 'raw'])
    const restored = io()
    expect(await main(['restic', 'restore', 'latest', '--target', join(root, 'raw-restored')], restored)).toBe(0)
    expect(restored.stderr).toMatch(/^Warning: extended attributes of ".*\/raw\/bad-\\xff-\/g" are not restored: its path is not valid UTF-8/)
    const x = io()
    expect(await main(['restic', 'backup', 'raw'], x)).toBe(0)
    // The folder and the file in it: what they hold cannot be known.
    expect(x.stderr.split('\n').filter(l => l !== '').map(l => /^Warning: extended attributes of ".*(\/raw\/bad-\\xff-(?:\/g)?)" are not backed up: its path is not valid UTF-8/.exec(l)?.[1])).toEqual(['/raw/bad-\\xff-', '/raw/bad-\\xff-/g'])
  })

  it('keeps the attributes of a read-only file (set before its mode; restic 0.14 loses them)', async () => {
    // user.* attributes need write access, which root always has: restore as another user.
    const ro = join(root, 'ro')
    mkdirSync(join(ro, 'src'), { recursive: true })
    writeFileSync(join(ro, 'src', 'r'), 'r\n')
    setAttributeSync(join(ro, 'src', 'r'), 'user.ro', 'kept')
    chmodSync(join(ro, 'src', 'r'), 0o444)
    const repo = { RESTIC_REPOSITORY: join(ro, 'repo') }
    await restic(['init'], repo)
    await run('restic', ['--no-cache', 'backup', 'src'], { cwd: ro, env: { ...process.env, ...env, ...repo } })
    const cli = fileURLToPath(new URL('../../../bin/cairn.mjs', import.meta.url))
    const args = ['restic', 'restore', 'latest', '--target', join(ro, 'out')]
    const opts = { cwd: ro, env: { ...process.env, ...env, ...repo, HOME: ro } }
    if (process.getuid?.() === 0) {
      chmodSync(root, 0o755)
      chownSync(ro, 65534, 65534)
      await run('chown', ['-R', '65534:65534', join(ro, 'repo')])
      await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, ...args], opts)
    } else {
      await run(process.execPath, [cli, ...args], opts)
    }
    expect(lstatSync(join(ro, 'out', 'src', 'r')).mode & 0o777).toBe(0o444)
    expect(attrs(join(ro, 'out', 'src', 'r'))).toEqual([['user.ro', Buffer.from('kept').toString('hex')]])
  })
})
