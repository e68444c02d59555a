/**
 * What a trustless gateway request asks for: the response format (`?format=` wins over `Accept`,
 * IPIP-523), and for CARs the version, order, dups, `dag-scope` and `entity-bytes` (URL
 * parameters win over the Accept parameters).
 */
import { GatewayRequestError } from './errors.js'
import type { DagScope, EntityBytes } from './dag.js'

export type GatewayFormat = 'raw' | 'car' | 'ipns-record'

const TYPES = new Map<string, GatewayFormat>([
  ['application/vnd.ipld.raw', 'raw'],
  ['application/vnd.ipld.car', 'car'],
  ['application/vnd.ipfs.ipns-record', 'ipns-record']
])

interface MediaRange { type: string, params: Map<string, string>, q: number }

function parseAccept (accept: string | undefined): MediaRange[] {
  return (accept ?? '').split(',').map(part => {
    const [type = '', ...params] = part.split(';').map(s => s.trim())
    const map = new Map(params.map(p => {
      const eq = p.indexOf('=')
      return [p.slice(0, eq === -1 ? undefined : eq).trim().toLowerCase(), eq === -1 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')] as const
    }))
    const q = Number(map.get('q') ?? '1')
    return { type: type.toLowerCase(), params: map, q: Number.isFinite(q) ? q : 0 }
  }).filter(r => r.type !== '' && r.q > 0)
}

export function wantedFormat (query: URLSearchParams, accept: string | undefined): GatewayFormat | undefined {
  const format = query.get('format')
  if (format !== null) {
    if (format === 'raw' || format === 'car' || format === 'ipns-record') return format
    throw new GatewayRequestError(`format=${format} is not served here: use format=raw, format=car or format=ipns-record.`)
  }
  const ranges = parseAccept(accept).sort((a, b) => b.q - a.q)
  for (const r of ranges) {
    const f = TYPES.get(r.type)
    if (f !== undefined) return f
  }
  return undefined
}

export interface CarRequest { scope: DagScope, entityBytes: EntityBytes | undefined, dups: boolean }

function parseEntityBytes (text: string): EntityBytes {
  const m = /^(-?\d+):(\*|-?\d+)$/.exec(text)
  if (m === null) throw new GatewayRequestError(`entity-bytes=${text} is not from:to (integers, to may be *).`)
  const from = Number(m[1])
  const to = m[2] === '*' ? undefined : Number(m[2])
  if (!Number.isSafeInteger(from) || (to !== undefined && !Number.isSafeInteger(to))) throw new GatewayRequestError(`entity-bytes=${text} is out of range.`)
  if (to !== undefined && from >= 0 && to >= 0 && to < from) throw new GatewayRequestError(`entity-bytes=${text} ends before it starts.`)
  return { from, to }
}

export function parseCarRequest (query: URLSearchParams, accept: string | undefined): CarRequest {
  const params = parseAccept(accept).find(r => r.type === 'application/vnd.ipld.car')?.params ?? new Map<string, string>()
  const version = query.get('car-version') ?? params.get('version') ?? '1'
  if (version !== '1') throw new GatewayRequestError(`CAR version ${version} is not served: ask for version=1.`)
  const order = query.get('car-order') ?? params.get('order') ?? 'dfs'
  if (order !== 'dfs' && order !== 'unk') throw new GatewayRequestError(`CAR order ${order} is not served: ask for order=dfs (or unk).`)
  const dups = query.get('car-dups') ?? params.get('dups') ?? 'n'
  if (dups !== 'y' && dups !== 'n') throw new GatewayRequestError(`CAR dups=${dups} is not y or n.`)
  const scope = query.get('dag-scope') ?? 'all'
  if (scope !== 'block' && scope !== 'entity' && scope !== 'all') throw new GatewayRequestError(`dag-scope=${scope} is not block, entity or all.`)
  const bytes = query.get('entity-bytes')
  return { scope, entityBytes: bytes === null ? undefined : parseEntityBytes(bytes), dups: dups === 'y' }
}

/** A single `bytes=` range over `size` bytes; undefined when absent or not a single range (the whole body is sent). */
export function parseRange (header: string | undefined, size: number): { from: number, to: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const n = Number(m[2])
    if (n === 0) return 'unsatisfiable'
    return { from: Math.max(0, size - n), to: size - 1 }
  }
  const from = Number(m[1])
  const to = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (from >= size || to < from) return 'unsatisfiable'
  return { from, to }
}
