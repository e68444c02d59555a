/**
 * Routers that misbehave on the wire: a body that trickles one byte per second, and one that never
 * ends. The timeout covers the body, the size is capped, and the CLI stops on the first SIGINT.
 * Real loopback HTTP servers, the real CLI process.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResponseTooLargeError } from '../../../src/core/errors.js'
import { getIPNSRecord, queryDNSLink } from '../../../src/ipfs/ipns/delegated.js'
import { RoutingTimeoutError, RecordNotFoundError } from '../../../src/ipfs/ipns/errors.js'
import { parseName } from '../../../src/ipfs/ipns/names.js'
import { resolve as resolveName } from '../../../src/ipfs/ipns/resolve.js'
import { NameStateStore } from '../../../src/ipfs/ipns/index.js'
import { MemoryDatastore } from 'datastore-core'
import { loadVectors } from './helpers.js'
import type { AddressInfo } from 'node:net'
import type { Server, ServerResponse } from 'node:http'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const NAME = (loadVectors()[0] as { name: string }).name

interface Bad { url: string, sent: () => number, requests: () => number, close: () => Promise<void> }

/** A server whose every answer is 200 with `type`, then `feed` writes the body until the client goes. */
async function badServer (type: string, feed: (res: ServerResponse, count: (n: number) => void) => void): Promise<Bad> {
  let sent = 0
  let requests = 0
  const server: Server = createServer((_req, res) => {
    requests++
    res.writeHead(200, { 'content-type': type })
    res.flushHeaders()
    feed(res, (n) => { sent += n })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => sent,
    requests: () => requests,
    close: async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => { resolve() })) }
  }
}

/** One byte per second, forever. */
const trickle = (res: ServerResponse, count: (n: number) => void): void => {
  const timer = setInterval(() => { res.write('x'); count(1) }, 1000)
  res.on('close', () => { clearInterval(timer) })
}

/** 64 KiB chunks as fast as the client takes them, forever. */
const endless = (res: ServerResponse, count: (n: number) => void): void => {
  const chunk = Buffer.alloc(64 << 10, 0x61)
  const pump = (): void => {
    while (!res.destroyed) {
      count(chunk.length)
      if (!res.write(chunk)) { res.once('drain', pump); return }
    }
  }
  res.on('close', () => { res.removeAllListeners('drain') })
  pump()
}

let slow: Bad
let flood: Bad
let home: string

beforeAll(async () => {
  slow = await badServer('application/vnd.ipfs.ipns-record', trickle)
  flood = await badServer('application/vnd.ipfs.ipns-record', endless)
  home = await mkdtemp(join(tmpdir(), 'cairn-router-limits-'))
})
afterAll(async () => {
  await slow?.close()
  await flood?.close()
  if (home !== undefined) await rm(home, { recursive: true, force: true, maxRetries: 5 })
})

describe('IPNS routers that misbehave', () => {
  it('a router that trickles its body fails within the timeout with RoutingTimeoutError', async () => {
    const started = Date.now()
    const err = await getIPNSRecord(slow.url, parseName(NAME), { timeoutMs: 1500 }).catch((e: unknown) => e)
    const took = Date.now() - started
    expect(err).toBeInstanceOf(RoutingTimeoutError)
    expect((err as Error).message).toMatch(/did not answer within 1500 ms/)
    expect(took).toBeLessThan(4000)
  })

  it('resolve gives up on such a router within the timeout, naming it', async () => {
    const started = Date.now()
    const err = await resolveName({ state: new NameStateStore(new MemoryDatastore()), routers: [slow.url] }, NAME, { timeoutMs: 1500 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RecordNotFoundError)
    expect((err as Error).message).toContain(`${slow.url}/routing/v1/ipns/`)
    expect((err as Error).message).toMatch(/did not answer within 1500 ms/)
    expect(Date.now() - started).toBeLessThan(4000)
  })

  it('an endless record body is cut off at the IPNS size limit: little is read, memory stays flat', async () => {
    const before = process.memoryUsage().rss
    const err = await getIPNSRecord(flood.url, parseName(NAME), { timeoutMs: 10_000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((err as Error).message).toMatch(/larger than 10240 bytes/)
    // The server could only push what the socket buffers hold before the client cancelled.
    await new Promise(resolve => setTimeout(resolve, 200))
    expect(flood.sent()).toBeLessThan(32 << 20)
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20)
  })

  it('an endless DNS-over-HTTPS answer is cut off too', async () => {
    const err = await queryDNSLink('example.org', flood.url + '/dns-query', { timeoutMs: 10_000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
  })

  it('cairn ipns resolve against a trickling router ends at --timeout with a clear message, exit 1', async () => {
    const { code, stderr, ms } = await runCli(['ipns', 'resolve', '--routing', slow.url, '--timeout', '2s', NAME])
    expect(code, stderr).toBe(1)
    expect(stderr).toMatch(/did not answer within 2000 ms/)
    expect(stderr).not.toMatch(/\n\s+at /)
    expect(ms).toBeLessThan(15_000)
  })

  it('the first SIGINT ends a stalled cairn ipns resolve promptly with exit 130', async () => {
    const { code, stderr, afterSignalMs } = await runCli(['ipns', 'resolve', '--routing', slow.url, NAME], { signal: 'SIGINT' })
    expect(code, stderr).toBe(130)
    expect(stderr).toMatch(/interrupted/)
    expect(stderr).not.toMatch(/\n\s+at /)
    expect(afterSignalMs).toBeLessThan(3000)
  })

  it('SIGTERM does the same with exit 143', async () => {
    const { code, afterSignalMs } = await runCli(['ipns', 'resolve', '--routing', slow.url, NAME], { signal: 'SIGTERM' })
    expect(code).toBe(143)
    expect(afterSignalMs).toBeLessThan(3000)
  })
})

/** Runs the CLI; with `signal`, sends it once the router has been asked (after the CLI's startup). */
async function runCli (args: string[], opts: { signal?: NodeJS.Signals } = {}): Promise<{ code: number | null, stderr: string, ms: number, afterSignalMs: number }> {
  const started = Date.now()
  const child = spawn(process.execPath, [join(ROOT, 'bin/cairn.mjs'), ...args], { cwd: ROOT, env: { ...process.env, CAIRN_HOME: home, CAIRN_SCRYPT_LOG_N: '10' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  child.stdout.resume()
  const exited = new Promise<number | null>(resolve => { child.once('exit', (code) => { resolve(code) }) })
  let signalledAt = 0
  if (opts.signal !== undefined) {
    // Wait until the CLI is reading the trickling body, then a little longer.
    const before = slow.requests()
    const deadline = Date.now() + 30_000
    while (slow.requests() <= before && Date.now() < deadline && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 100))
    await new Promise(resolve => setTimeout(resolve, 1500))
    expect(child.exitCode, stderr).toBeNull()
    signalledAt = Date.now()
    child.kill(opts.signal)
  }
  const code = await Promise.race([exited, new Promise<'hung'>(resolve => setTimeout(() => { resolve('hung') }, 30_000).unref())])
  if (code === 'hung') child.kill('SIGKILL')
  return { code: code === 'hung' ? -1 : code, stderr, ms: Date.now() - started, afterSignalMs: Date.now() - signalledAt }
}
