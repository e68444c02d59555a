/**
 * Who may read the local network's pinning token: real HTTP requests with `Origin` headers against
 * a real local network, and `cairn start`/`cairn dev`/`cairn network` wiring the app's origin in.
 * The gateway and routing stay open to every origin, like real gateways.
 */
import { mkdtempSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import { InvalidOriginError, OriginAllowList, appOrigins, startLocalNetwork } from '../../../src/node/network/index.js'
import { rawBlock } from './helpers.js'
import type { CommandIO } from '../../../src/node/cli/command.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'

const APP = 'http://127.0.0.1:8080'
const OTHER = 'http://127.0.0.1:8081'

let net: LocalNetwork
const tmpDirs: string[] = []

beforeAll(async () => { net = await startLocalNetwork({ allowedOrigins: [APP + '/'] }) })
afterAll(async () => {
  await net?.stop()
  await Promise.all(tmpDirs.map(async d => { await rm(d, { recursive: true, force: true, maxRetries: 5 }) }))
})

async function preflight (url: string, origin: string, method = 'POST'): Promise<Response> {
  return await fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type', 'access-control-request-private-network': 'true' }
  })
}

describe('the private paths (cairn-local.json, /pinning)', () => {
  it('give the app\'s origin its CORS grant and the token', async () => {
    const res = await fetch(`${net.httpUrl}/cairn-local.json`, { headers: { origin: APP } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    expect(res.headers.get('vary')).toMatch(/Origin/)
    expect((await res.json() as { pinningService: { token: string } }).pinningService.token).toBe(net.pinningService.token)

    const pre = await preflight(`${net.pinningService.endpoint}/pins`, APP)
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP)
    expect(pre.headers.get('access-control-allow-private-network')).toBe('true')
    const list = await fetch(`${net.pinningService.endpoint}/pins`, { headers: { origin: APP, authorization: `Bearer ${net.pinningService.token}` } })
    expect(list.status).toBe(200)
    expect(list.headers.get('access-control-allow-origin')).toBe(APP)
  })

  it('refuse every other origin: no CORS grant, no token, preflights refused, even with the token', async () => {
    for (const origin of [OTHER, 'http://localhost:8080', 'https://example.org', 'null']) {
      const res = await fetch(`${net.httpUrl}/cairn-local.json`, { headers: { origin } })
      expect(res.status, origin).toBe(403)
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull()
      const body = await res.text()
      expect(body).not.toContain(net.pinningService.token)
      expect(body).toContain(`--allow-origin ${origin}`)

      for (const path of ['/pins', '/car', '/capabilities', '/pins/x']) {
        const pre = await preflight(`${net.pinningService.endpoint}${path}`, origin)
        expect(pre.status, `${origin} ${path}`).toBe(403)
        expect(pre.headers.get('access-control-allow-origin')).toBeNull()
        expect(pre.headers.get('access-control-allow-private-network')).toBeNull()
        expect(pre.headers.get('access-control-allow-methods')).toBeNull()
      }
      const list = await fetch(`${net.pinningService.endpoint}/pins`, { headers: { origin, authorization: `Bearer ${net.pinningService.token}` } })
      expect(list.status).toBe(403)
      expect(list.headers.get('access-control-allow-origin')).toBeNull()
      const pin = await fetch(`${net.pinningService.endpoint}/pins`, { method: 'POST', headers: { origin, authorization: `Bearer ${net.pinningService.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ cid: (await rawBlock('x')).cid.toString() }) })
      expect(pin.status).toBe(403)
    }
    expect(net.pins.list()).toHaveLength(0)
  })

  it('still answer clients that are not pages (no Origin), without a CORS grant', async () => {
    const res = await fetch(`${net.httpUrl}/cairn-local.json`)
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    const list = await fetch(`${net.pinningService.endpoint}/pins`, { headers: { authorization: `Bearer ${net.pinningService.token}` } })
    expect(list.status).toBe(200)
  })

  it('take origins added later (allowOrigin), normalised, and reject what is not an origin', async () => {
    expect((await fetch(`${net.httpUrl}/cairn-local.json`, { headers: { origin: 'http://127.0.0.1:9999' } })).status).toBe(403)
    expect(net.allowOrigin('HTTP://127.0.0.1:9999/')).toBe('http://127.0.0.1:9999')
    const res = await fetch(`${net.httpUrl}/cairn-local.json`, { headers: { origin: 'http://127.0.0.1:9999' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9999')
    for (const bad of ['127.0.0.1:8080', 'file:///x', 'http://127.0.0.1:8080/app/', '*']) {
      expect(() => new OriginAllowList([bad]), bad).toThrow(InvalidOriginError)
    }
    expect(appOrigins('http://127.0.0.1:8080/sub/')).toEqual(['http://127.0.0.1:8080', 'http://localhost:8080'])
    expect(appOrigins('https://app.example/')).toEqual(['https://app.example'])
  })
})

describe('the public paths (gateway, routing)', () => {
  it('answer any origin with *, and grant private-network access to allowed origins only', async () => {
    const block = await rawBlock('public ' + Math.random())
    await net.helia.blockstore.put(block.cid, block.bytes)
    const res = await fetch(`${net.gatewayUrl}/ipfs/${block.cid.toString()}?format=raw`, { headers: { origin: OTHER } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const pre = await preflight(`${net.routingUrl}/routing/v1/ipns/k51qzi5uqu5dgutdk6i1ynyzgkqngpha5xpgia3a5qqp4jsh0u4csozksxel3r`, OTHER, 'PUT')
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe('*')
    expect(pre.headers.get('access-control-allow-private-network')).toBeNull()
    const mine = await preflight(`${net.routingUrl}/routing/v1/ipns/k51qzi5uqu5dgutdk6i1ynyzgkqngpha5xpgia3a5qqp4jsh0u4csozksxel3r`, APP, 'PUT')
    expect(mine.headers.get('access-control-allow-private-network')).toBe('true')
  })
})

function captureIO (signal: AbortSignal, cwd = process.cwd()): CommandIO & { stdout: string, stderr: string } {
  // each command keeps its local network in a Cairn home of its own, never in ~/.cairn
  const home = mkdtempSync(join(tmpdir(), 'cairn-cors-home-'))
  tmpDirs.push(home)
  const io = { stdout: '', stderr: '', out: (t: string) => { io.stdout += t }, err: (t: string) => { io.stderr += t }, signal, cwd, env: { CAIRN_HOME: home } }
  return io
}

async function until (check: () => boolean, signal: AbortSignal): Promise<void> {
  while (!check()) {
    signal.throwIfAborted()
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Runs a long-lived command until `ready` shows in its output; returns its output and a stop. */
async function run (argv: string[], ready: RegExp, cwd?: string): Promise<{ io: ReturnType<typeof captureIO>, stop: () => Promise<number> }> {
  const controller = new AbortController()
  const io = captureIO(controller.signal, cwd)
  const exit = main(argv, io)
  await until(() => ready.test(io.stdout) || io.stderr !== '', AbortSignal.timeout(30_000))
  expect(io.stderr).toBe('')
  return { io, stop: async () => { controller.abort(); return await exit } }
}

describe('the CLI allows the app\'s own origin only', () => {
  it('cairn start: the static server\'s origin (and its loopback twin) may read the token, others may not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-start-'))
    tmpDirs.push(dir)
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>app</title>')
    const { io, stop } = await run(['start', '--dist', dir, '--port', '0', '--ws-port', '0', '--http-port', '0', '--key-file', join(dir, 'key')], /Press Ctrl-C/)
    const site = /running at (\S+)/.exec(io.stdout)?.[1] ?? ''
    const routing = /routing\s+(\S+)/.exec(io.stdout)?.[1] ?? ''
    const origin = new URL(site).origin
    const ok = await fetch(`${routing}/cairn-local.json`, { headers: { origin } })
    expect(ok.headers.get('access-control-allow-origin')).toBe(origin)
    const twin = origin.replace('127.0.0.1', 'localhost')
    expect((await fetch(`${routing}/cairn-local.json`, { headers: { origin: twin } })).headers.get('access-control-allow-origin')).toBe(twin)
    const other = await fetch(`${routing}/cairn-local.json`, { headers: { origin: OTHER } })
    expect(other.status).toBe(403)
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    // The copy next to the app is same-origin only.
    expect((await fetch(new URL('cairn-local.json', site), { headers: { origin: OTHER } })).headers.get('access-control-allow-origin')).toBeNull()
    expect(await stop()).toBe(0)
  })

  it('cairn network --allow-origin: that origin only; a malformed one is a clear error', async () => {
    const { io, stop } = await run(['network', '--json', '--allow-origin', APP, '--allow-origin', 'http://[::1]:3000'], /\n/)
    const info = JSON.parse(io.stdout) as { routingUrl: string }
    for (const origin of [APP, 'http://[::1]:3000']) {
      expect((await fetch(`${info.routingUrl}/cairn-local.json`, { headers: { origin } })).headers.get('access-control-allow-origin')).toBe(origin)
    }
    expect((await fetch(`${info.routingUrl}/cairn-local.json`, { headers: { origin: OTHER } })).status).toBe(403)
    expect(await stop()).toBe(0)

    const bad = captureIO(new AbortController().signal)
    expect(await main(['network', '--allow-origin', '127.0.0.1:8080'], bad)).toBe(1)
    expect(bad.stderr).toMatch(/is not an origin: write it as http:\/\/host:port/)
  })

  it('cairn dev: the dev server\'s cairn-local.json is same-origin only, and its origin may read the network\'s', async () => {
    const { io, stop } = await run(['dev', '--port', '0', '--ws-port', '0', '--http-port', '0', '--key-file', join(await mkdtemp(join(tmpdir(), 'cairn-dev-')), 'key')], /Cairn dev server: http/)
    const site = /Cairn dev server: (\S+)/.exec(io.stdout)?.[1] ?? ''
    const origin = new URL(site).origin
    const local = await fetch(new URL('cairn-local.json', site), { headers: { origin: OTHER } })
    expect(local.status).toBe(200)
    expect(local.headers.get('access-control-allow-origin')).toBeNull()
    const info = await local.json() as { routingUrl: string }
    expect((await fetch(`${info.routingUrl}/cairn-local.json`, { headers: { origin } })).headers.get('access-control-allow-origin')).toBe(origin)
    expect((await fetch(`${info.routingUrl}/cairn-local.json`, { headers: { origin: OTHER } })).status).toBe(403)
    expect(await stop()).toBe(0)
  })
})
