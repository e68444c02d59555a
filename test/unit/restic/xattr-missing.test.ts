/**
 * Where the @napi-rs/xattr module cannot load (a platform without its prebuilt binary), backups
 * go on without extended attributes and say so once; nothing crashes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'

vi.mock('@napi-rs/xattr', () => { throw new Error('no prebuilt binary for this platform') })

const root = mkdtempSync(join(tmpdir(), 'cairn-xattr-missing-'))
afterAll(() => { rmSync(root, { recursive: true, force: true, maxRetries: 5 }) })
const env = { RESTIC_PASSWORD: 'xattr', RESTIC_REPOSITORY: join(root, 'repo') }

function io (): CommandIO & { stdout: string, stderr: string } {
  const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: root, env }
  return x
}

describe('extended attributes without the xattr module', () => {
  it('backs up without them, with one warning', async () => {
    mkdirSync(join(root, 'src', 'd'), { recursive: true })
    writeFileSync(join(root, 'src', 'a'), 'a\n')
    writeFileSync(join(root, 'src', 'd', 'b'), 'b\n')
    expect(await main(['restic', 'init'], io())).toBe(0)
    const x = io()
    expect(await main(['restic', 'backup', 'src'], x)).toBe(0)
    const warnings = x.stderr.split('\n').filter(l => l !== '')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^Warning: extended attributes are not backed up: the @napi-rs\/xattr module could not be loaded on this platform \(.+\); reinstall/)
    const ls = io()
    expect(await main(['restic', 'ls', 'latest'], ls)).toBe(0)
    expect(ls.stdout).toContain('/src/d/b')
  })
})
