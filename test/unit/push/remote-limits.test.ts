/**
 * Pinning services and restic REST servers that send endless answers: every JSON or file body
 * from a remote server is read under a cap. A real loopback HTTP server.
 */
import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResponseTooLargeError } from '../../../src/core/errors.js'
import { PinningServiceClient } from '../../../src/ipfs/push/pinning-service.js'
import { RestBackend } from '../../../src/restic/backend/rest.js'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'

let server: Server
let base = ''
let sent = 0

beforeAll(async () => {
  // Every answer: 200, then 64 KiB chunks of `[` forever (as fast as the client reads).
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': req.url?.includes('/data/') === true ? 'application/octet-stream' : 'application/vnd.x.restic.rest.v2' })
    const chunk = Buffer.alloc(64 << 10, 0x5b)
    const pump = (): void => {
      while (!res.destroyed) {
        sent += chunk.length
        if (!res.write(chunk)) { res.once('drain', pump); return }
      }
    }
    pump()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>(resolve => server.close(() => { resolve() }))
})

describe('endless answers from remote servers', () => {
  it('a pinning service status is cut off at 1 MiB with ResponseTooLargeError', async () => {
    sent = 0
    const client = new PinningServiceClient({ endpoint: base + '/pinning', token: 't', name: 'endless' })
    const err = await client.get('abc').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect((err as Error).message).toContain('endless')
    expect(sent).toBeLessThan(32 << 20)
  })

  it('a restic REST file list is cut off (64 MiB), and a ranged read at its length', async () => {
    const rest = new RestBackend({ url: base + '/repo/' })
    sent = 0
    const err = await rest.list('snapshots').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ResponseTooLargeError)
    expect(sent).toBeLessThan(128 << 20)
    sent = 0
    const started = Date.now()
    const e2 = await rest.read({ type: 'data', name: 'ab'.repeat(32) }, { offset: 10, length: 100 }).catch((e: unknown) => e)
    expect(e2).toBeInstanceOf(ResponseTooLargeError)
    expect(sent).toBeLessThan(32 << 20)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
