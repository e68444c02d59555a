/** Checks one response against a case's expectations; returns what did not hold, or []. */
import { CarReader } from '@ipld/car'
import { multihashToIPNSRoutingKey, unmarshalIPNSRecord } from 'ipns'
import { ipnsValidator } from 'ipns/validator'
import { extract } from 'it-tar'
import { CID } from 'multiformats/cid'
import type { BodyCheck, Expectation, HeaderCheck, TransportResponse } from './types.js'

function immutable (value: string): boolean {
  const directives = new Map(value.replace(/\s/g, '').split(',').map(d => {
    const [k = '', v = ''] = d.split('=')
    return [k.toLowerCase(), v] as const
  }))
  const maxAge = Number(directives.get('max-age'))
  return directives.has('public') && directives.has('immutable') && Number.isInteger(maxAge) && maxAge >= 29030400
}

function checkHeader (res: TransportResponse, h: HeaderCheck): string | undefined {
  const value = res.headers[h.name.toLowerCase()]
  let ok: boolean
  let want: string
  if (h.exists !== undefined) { ok = (value !== undefined) === h.exists; want = h.exists ? 'present' : 'absent' } else if (h.notEmpty === true) { ok = value !== undefined && value !== ''; want = 'not empty' } else if (h.equals !== undefined) { ok = value === h.equals; want = `= ${JSON.stringify(h.equals)}` } else if (h.contains !== undefined) { ok = value?.includes(h.contains) === true; want = `contains ${JSON.stringify(h.contains)}` } else if (h.matches !== undefined) { ok = value !== undefined && new RegExp(h.matches).test(value); want = `matches /${h.matches}/` } else if (h.has !== undefined) { const list = (value ?? '').split(',').map(v => v.trim().toLowerCase()); ok = h.has.every(x => list.includes(x.toLowerCase())); want = `has ${h.has.join(', ')}` } else if (h.immutable === true) { ok = value !== undefined && immutable(value); want = 'public, immutable, max-age ≥ 29030400' } else { throw new Error(`header check on ${h.name} checks nothing`) }
  if (h.not === true) { ok = !ok; want = `not ${want}` }
  return ok ? undefined : `header ${h.name}: want ${want}, got ${value === undefined ? '(absent)' : JSON.stringify(value)}`
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

async function checkBody (res: TransportResponse, body: BodyCheck): Promise<string | undefined> {
  switch (body.kind) {
    case 'bytes':
      return equalBytes(res.body, body.bytes) ? undefined : `body: want ${body.bytes.byteLength} expected bytes, got ${res.body.byteLength} other bytes`
    case 'empty':
      return res.body.byteLength === 0 ? undefined : `body: want empty, got ${res.body.byteLength} bytes`
    case 'contains': {
      const text = new TextDecoder().decode(res.body)
      return text.includes(body.text) ? undefined : `body: want it to contain ${JSON.stringify(body.text)}`
    }
    case 'not-contains': {
      const text = new TextDecoder().decode(res.body)
      return text.includes(body.text) ? `body: want it not to contain ${JSON.stringify(body.text)}` : undefined
    }
    case 'all': {
      for (const c of body.checks) {
        const p = await checkBody(res, c)
        if (p !== undefined) return p
      }
      return undefined
    }
    case 'json': {
      let parsed: unknown
      try { parsed = JSON.parse(new TextDecoder().decode(res.body)) } catch { return 'body: not JSON' }
      return JSON.stringify(parsed) === JSON.stringify(body.value) ? undefined : `body: want JSON ${JSON.stringify(body.value)}, got ${JSON.stringify(parsed)}`
    }
    case 'car': {
      let got: string[]
      try {
        const reader = await CarReader.fromBytes(res.body)
        got = []
        for await (const b of reader.blocks()) got.push(b.cid.toString())
      } catch (err) { return `body: not a CAR (${(err as Error).message})` }
      const want = body.blocks.map(c => CID.parse(c).toString())
      const missing = want.filter(c => !got.includes(c))
      if (missing.length > 0) return `CAR: missing blocks ${missing.join(', ')} (got ${got.join(', ')})`
      if (body.exactly === true && body.inOrder !== true) {
        const extra = got.filter(c => !want.includes(c))
        if (extra.length > 0 || got.length !== want.length) return `CAR: want exactly ${want.length} blocks, got ${got.length} (${got.join(', ')})`
      }
      if (body.inOrder === true && body.exactly === true && got.join() !== want.join()) return `CAR: want blocks in order ${want.join(', ')}, got ${got.join(', ')}`
      return undefined
    }
    case 'ipns-record': {
      try {
        const record = unmarshalIPNSRecord(res.body)
        const name = CID.parse(body.name)
        await ipnsValidator(multihashToIPNSRoutingKey(name.multihash as Parameters<typeof multihashToIPNSRoutingKey>[0]), res.body)
        return record.value === body.value ? undefined : `IPNS record: want value ${body.value}, got ${record.value}`
      } catch (err) { return `IPNS record: invalid (${(err as Error).message})` }
    }
    case 'tar': {
      const got = new Map<string, string | null>()
      try {
        for await (const entry of extract()((async function * () { yield res.body })())) {
          const parts: Uint8Array[] = []
          for await (const c of entry.body) parts.push(c.subarray())
          got.set(entry.header.name.replace(/\/$/, ''), entry.header.type === 'directory' ? null : new TextDecoder().decode(Buffer.concat(parts)))
        }
      } catch (err) { return `body: not a tar (${(err as Error).message})` }
      for (const [name, text] of Object.entries(body.entries)) {
        if (!got.has(name)) return `tar: no entry ${name} (got ${[...got.keys()].join(', ')})`
        if (got.get(name) !== text) return `tar: entry ${name} differs`
      }
      return undefined
    }
  }
}

export async function checkOne (res: TransportResponse, expect: Expectation): Promise<string[]> {
  const problems: string[] = []
  if (expect.status !== undefined && res.status !== expect.status) problems.push(`status: want ${expect.status}, got ${res.status}`)
  const between = expect.statusBetween
  if (between !== undefined && (res.status < between[0] || res.status > between[1])) problems.push(`status: want ${between[0]}–${between[1]}, got ${res.status}`)
  for (const h of expect.headers ?? []) {
    const p = checkHeader(res, h)
    if (p !== undefined) problems.push(p)
  }
  if (expect.body !== undefined && problems.length === 0) {
    const p = await checkBody(res, expect.body)
    if (p !== undefined) problems.push(p)
  }
  return problems
}

/** All of `expect` must hold, or, for a list, any one of them. */
export async function check (res: TransportResponse, expect: Expectation | Expectation[]): Promise<string[]> {
  if (!Array.isArray(expect)) return await checkOne(res, expect)
  const all: string[] = []
  for (const e of expect) {
    const p = await checkOne(res, e)
    if (p.length === 0) return []
    all.push(`(${p.join('; ')})`)
  }
  return [`none of ${expect.length} alternatives held: ${all.join(' or ')}`]
}
