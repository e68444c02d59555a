/**
 * The IPNS record spec's test vectors (and valid gateway-conformance records, incl. RSA) PUT to the
 * local network's Routing V1 server: valid ones are stored and served back byte for byte, invalid
 * ones are refused with 400. Fixtures copied from the shared vectors (see fixtures/ipns/expected.json).
 */
import { readFile } from 'node:fs/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { unmarshalIPNSRecord } from 'ipns'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalNetwork } from '../../../src/node/network/index.js'
import type { LocalNetwork } from '../../../src/node/network/index.js'

interface Vector { file: string, name: string, description: string, expected: 'valid' | 'invalid', value: string | null }

const FIXTURES = new URL('./fixtures/ipns/', import.meta.url)
const { records } = JSON.parse(await readFile(new URL('expected.json', FIXTURES), 'utf8')) as { records: Vector[] }

/** The name as a CIDv1 libp2p-key, whatever form the vector uses (k51…, 12D3Koo…, Qm…). */
function libp2pKeyCid (name: string): CID {
  if (name.startsWith('k')) return CID.parse(name, base36)
  return peerIdFromString(name).toCID()
}

let net: LocalNetwork

beforeAll(async () => {
  net = await startLocalNetwork({ pullOnLookup: false })
})

afterAll(async () => {
  await net?.stop()
})

describe('IPNS record vectors', () => {
  it('has both valid and invalid vectors to check', () => {
    expect(records.filter(r => r.expected === 'valid').length).toBeGreaterThanOrEqual(5)
    expect(records.filter(r => r.expected === 'invalid').length).toBeGreaterThanOrEqual(3)
  })

  for (const vector of records) {
    it(`${vector.expected}: ${vector.description}`, async () => {
      const bytes = new Uint8Array(await readFile(new URL(vector.file, FIXTURES)))
      const name = libp2pKeyCid(vector.name)
      const put = await fetch(`${net.httpUrl}/routing/v1/ipns/${name.toString()}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.ipfs.ipns-record' },
        body: bytes
      })
      const get = await fetch(`${net.httpUrl}/routing/v1/ipns/${name.toString(base36)}`)
      if (vector.expected === 'valid') {
        expect(put.status, await put.clone().text()).toBe(200)
        expect(get.headers.get('content-type')).toBe('application/vnd.ipfs.ipns-record')
        const served = new Uint8Array(await get.arrayBuffer())
        expect(served).toEqual(bytes)
        expect(unmarshalIPNSRecord(served).value).toBe(vector.value)
      } else {
        expect(put.status).toBe(400)
        expect(await get.text()).toBe('Record not found')
      }
    })
  }
})
