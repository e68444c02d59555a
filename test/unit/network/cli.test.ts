/**
 * `cairn network`: in-process through main() with an injectable signal, and once as a real
 * subprocess driven by SIGTERM.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'
import type { LocalNetworkInfo } from '../../../src/node/network/index.js'
import type { ChildProcess } from 'node:child_process'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Each command keeps its local network in a Cairn home of its own (`home`), never in ~/.cairn. */
function captureIO (signal: AbortSignal, home?: string): CommandIO & { stdout: string, stderr: string } {
  const dir = home ?? mkdtempSync(join(tmpdir(), 'cairn-net-home-'))
  if (home === undefined) tmpDirs.push(dir)
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => { io.stdout += t },
    err: (t: string) => { io.stderr += t },
    signal,
    cwd: process.cwd(),
    env: { CAIRN_HOME: dir }
  }
  return io
}

async function until (check: () => boolean, signal: AbortSignal): Promise<void> {
  while (!check()) {
    signal.throwIfAborted()
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const children: ChildProcess[] = []
const tmpDirs: string[] = []

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  await Promise.all(tmpDirs.map(async d => { await rm(d, { recursive: true, force: true, maxRetries: 5 }) }))
})

describe('cairn network (in process)', () => {
  it('prints one JSON line once ready, serves it at /cairn-local.json, and stops on abort', async () => {
    const controller = new AbortController()
    const io = captureIO(controller.signal)
    const exit = main(['network', '--json'], io)
    await until(() => io.stdout.includes('\n'), AbortSignal.timeout(20_000))
    const info = JSON.parse(io.stdout.trim()) as LocalNetworkInfo
    const served = await (await fetch(new URL('/cairn-local.json', info.routingUrl))).json() as LocalNetworkInfo
    expect(served).toEqual(info)
    controller.abort()
    expect(await exit).toBe(0)
    expect(io.stdout.trim().split('\n')).toHaveLength(1)
    await expect(fetch(new URL('/cairn-local.json', info.routingUrl))).rejects.toThrow()
  })

  it('keeps the same peer id across restarts with --key-file, and prints a readable summary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-net-'))
    tmpDirs.push(dir)
    const keyFile = join(dir, 'sub', 'network.key')
    const ids: string[] = []
    for (let i = 0; i < 2; i++) {
      const controller = new AbortController()
      const io = captureIO(controller.signal)
      const exit = main(['network', '--key-file', keyFile], io)
      await until(() => io.stdout.includes('Press Ctrl-C'), AbortSignal.timeout(20_000))
      expect(io.stdout).toMatch(/relay\s+\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3KooW/)
      expect(io.stdout).toMatch(/routing\s+http:\/\/127\.0\.0\.1:\d+/)
      ids.push(/Local network peer (\S+)/.exec(io.stdout)?.[1] ?? '')
      controller.abort()
      expect(await exit).toBe(0)
    }
    expect(ids[0]).toMatch(/^12D3KooW/)
    expect(ids[1]).toBe(ids[0])
  })

  it('keeps its data in $CAIRN_HOME/network by default (same peer id after a restart), or nothing with --memory', async () => {
    const home = await mkdtemp(join(tmpdir(), 'cairn-net-'))
    tmpDirs.push(home)
    const ids: string[] = []
    for (const argv of [['network'], ['network'], ['network', '--memory']]) {
      const controller = new AbortController()
      const io = captureIO(controller.signal, home)
      const exit = main(argv, io)
      await until(() => io.stdout.includes('Press Ctrl-C') || io.stderr !== '', AbortSignal.timeout(20_000))
      expect(io.stderr).toBe('')
      expect(io.stdout).toContain(argv.includes('--memory') ? 'kept in      memory only' : `kept in      ${join(home, 'network')}\n`)
      ids.push(/Local network peer (\S+)/.exec(io.stdout)?.[1] ?? '')
      controller.abort()
      expect(await exit).toBe(0)
    }
    expect(ids[0]).toMatch(/^12D3KooW/)
    expect(ids[1]).toBe(ids[0])
    expect(ids[2]).not.toBe(ids[0])
    expect((await readFile(join(home, 'network', 'peer.key'))).byteLength).toBeGreaterThan(32)
  })

  it('rejects a bad port and a corrupt key file with a message that says what to do', async () => {
    const io = captureIO(new AbortController().signal)
    expect(await main(['network', '--ws-port', 'abc'], io)).toBe(1)
    expect(io.stderr).toContain('--ws-port must be a port number')

    const dir = await mkdtemp(join(tmpdir(), 'cairn-net-'))
    tmpDirs.push(dir)
    const keyFile = join(dir, 'bad.key')
    await writeFile(keyFile, 'not a key')
    const io2 = captureIO(new AbortController().signal)
    expect(await main(['network', '--key-file', keyFile], io2)).toBe(1)
    expect(io2.stderr).toContain(`The key file ${keyFile} does not hold a libp2p private key`)
  })

  it('reports a WebSockets port that is already taken', async () => {
    const controller = new AbortController()
    const io = captureIO(controller.signal)
    const exit = main(['network', '--json'], io)
    await until(() => io.stdout.includes('\n'), AbortSignal.timeout(20_000))
    const info = JSON.parse(io.stdout.trim()) as LocalNetworkInfo
    const taken = /\/tcp\/(\d+)\//.exec(info.relayAddrs[0] ?? '')?.[1] ?? ''
    const io2 = captureIO(new AbortController().signal)
    expect(await main(['network', '--ws-port', taken], io2)).toBe(1)
    expect(io2.stderr).toContain('--ws-port')
    controller.abort()
    expect(await exit).toBe(0)
  })
})

describe('cairn network (subprocess)', () => {
  it('prints the JSON line, serves cairn-local.json, and exits 0 promptly on SIGTERM', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cairn-net-home-'))
    tmpDirs.push(home)
    const child = spawn(process.execPath, ['bin/cairn.mjs', 'network', '--json', '--ws-port', '0', '--http-port', '0'], {
      cwd: ROOT,
      env: { ...process.env, CAIRN_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const exited = new Promise<number | null>(resolve => { child.once('exit', (code) => { resolve(code) }) })

    await until(() => stdout.includes('\n') || child.exitCode !== null, AbortSignal.timeout(45_000))
    expect(child.exitCode, stderr).toBeNull()
    const info = JSON.parse(stdout.split('\n')[0] ?? '') as LocalNetworkInfo
    expect(info.relayAddrs[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3KooW/)
    const res = await fetch(new URL('/cairn-local.json', info.routingUrl))
    // No Origin (not a page): readable, with no CORS grant.
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(await res.json()).toEqual(info)

    child.kill('SIGTERM')
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>(resolve => setTimeout(() => { resolve('timeout') }, 10_000).unref())
    ])
    expect(code, stderr).toBe(0)
    expect(stdout.trim().split('\n')).toHaveLength(1)
  })
})
