/**
 * Bad input to the real CLI process: each case ends with one line that says what to do and exit 1,
 * never a stack trace or a hang.
 */
import { spawn } from 'node:child_process'
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'cairn-cli-bad-input-'))
afterAll(() => { chmodSync(join(dir, 'ro'), 0o755); rmSync(dir, { recursive: true, force: true, maxRetries: 5 }) })
const pw = join(dir, 'pw')
writeFileSync(pw, 'pw\n')

async function cairn (args: string[]): Promise<{ code: number | null, stderr: string, ms: number }> {
  const started = Date.now()
  const child = spawn(process.execPath, [join(ROOT, 'bin/cairn.mjs'), ...args], { cwd: dir, env: { ...process.env, CAIRN_HOME: join(dir, 'home') }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const code = await Promise.race([
    new Promise<number | null>(resolve => { child.once('exit', (c) => { resolve(c) }) }),
    new Promise<'hung'>(resolve => setTimeout(() => { resolve('hung') }, 30_000).unref())
  ])
  if (code === 'hung') child.kill('SIGKILL')
  return { code: code === 'hung' ? -1 : code, stderr, ms: Date.now() - started }
}

function expectOneLine (r: { code: number | null, stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1)
  expect(r.stderr).toMatch(pattern)
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /)
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
}

/** True when this process may still create files in `path` (root ignores modes). */
function canWrite (path: string): boolean {
  try { accessSync(path, constants.W_OK); return true } catch { return false }
}

describe('the CLI on bad input', () => {
  it('restic init -r /proc/repo fails at once (Node\'s recursive mkdir spun there forever)', async () => {
    const r = await cairn(['restic', 'init', '-r', '/proc/cairn-repo', '--password-file', pw])
    expectOneLine(r, /cannot create the folder \/proc\/cairn-repo: no such file or folder/)
    expect(r.ms).toBeLessThan(20_000)
  })

  it('restic init in a read-only folder says so', async () => {
    const ro = join(dir, 'ro')
    mkdirSync(ro)
    chmodSync(ro, 0o555)
    // As root the mode does not stop us: then use sysfs, which refuses even root.
    const target = canWrite(ro) ? '/sys/cairn-repo' : join(ro, 'repo')
    const r = await cairn(['restic', 'init', '-r', target, '--password-file', pw])
    expectOneLine(r, new RegExp(`cannot create the folder ${target}: (permission denied|the operation is not permitted there)`))
  })

  it('restic init where a file stands in for a folder says so', async () => {
    writeFileSync(join(dir, 'afile'), '')
    const r = await cairn(['restic', 'init', '-r', join(dir, 'afile', 'repo'), '--password-file', pw])
    expectOneLine(r, /not a directory|a part of the path is a file/)
  })

  it('car export -o to an unwritable path says which path and what to do', async () => {
    const r = await cairn(['car', 'export', 'bafkqaaa', '-o', '/sys/cairn.car'])
    expectOneLine(r, /cannot open \/sys\/cairn\.car.*: permission denied \(EACCES\)\. Choose a location/)
  })

  it('a bad --peer multiaddr for a repository on IPFS is named, not a stack trace', async () => {
    const r = await cairn(['restic', 'snapshots', '-r', 'ipns://k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8', '--peer', '/ip4/bad', '--password-file', pw])
    expectOneLine(r, /--peer "\/ip4\/bad" is not a multiaddr/)
  })
})
