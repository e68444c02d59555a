/**
 * Path-gateway semantics the service worker adds around verified-fetch's answers
 * (https://specs.ipfs.tech/http-gateways/path-gateway/), each measured by test/conformance/:
 *
 * - `Cache-Control: only-if-cached` for a root this device does not hold: 412;
 * - `?format=dag-json|dag-cbor` or `Accept: application/vnd.ipld.dag-*` for a block of another
 *   codec: 406 (IPIP-524: no codec conversion); a DAG-JSON/DAG-CBOR path that ends inside a
 *   block rather than at a link: 501;
 * - `?format=json|cbor` (or `Accept: application/json|cbor`) on DAG-JSON/DAG-CBOR: the plain type;
 * - `If-None-Match` matching the answer's ETag (strong, weak, one of a list, `*`): 304;
 * - `Content-Disposition` with the `?filename=` given, an ASCII `filename="…"` and `filename*`;
 * - directory listings: an ETag `"DirIndex-…_CID-<cid>"` and no long-lived Cache-Control.
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import { CID } from 'multiformats/cid'
import { attachment, readLocalBlock } from '../ipfs/gateway/index.js'
import { getBlock, parseContentPath } from '../ipfs/fetch/index.js'
import type { BlockSources } from '../ipfs/fetch/index.js'

const DAG_TYPES = new Map<string, number>([
  ['dag-json', dagJson.code], ['application/vnd.ipld.dag-json', dagJson.code],
  ['dag-cbor', dagCbor.code], ['application/vnd.ipld.dag-cbor', dagCbor.code]
])
const PLAIN_TYPES = new Map<string, { code: number, type: string }>([
  ['json', { code: dagJson.code, type: 'application/json' }], ['application/json', { code: dagJson.code, type: 'application/json' }],
  ['cbor', { code: dagCbor.code, type: 'application/cbor' }], ['application/cbor', { code: dagCbor.code, type: 'application/cbor' }]
])

/** The listing page's version: part of its ETag, so a new listing layout is not served as "not modified". */
export const LISTING_VERSION = 'cairn-1'

function asked (query: URLSearchParams, headers: Headers): string | undefined {
  const format = query.get('format')
  if (format !== null) return format
  return (headers.get('accept') ?? '').split(',').map(t => t.split(';')[0]?.trim().toLowerCase() ?? '').find(t => DAG_TYPES.has(t) || PLAIN_TYPES.has(t))
}

function status (code: number, message: string): Response {
  return new Response(message, { status: code, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } })
}

/**
 * Walks a DAG-JSON/DAG-CBOR path: through maps, lists and links. Returns the CID the path ends at,
 * 'inside' when it ends at a value within a block, or 'missing'.
 */
async function walkIpld (load: (cid: CID) => Promise<Uint8Array>, root: CID, segments: string[]): Promise<CID | 'inside' | 'missing'> {
  let cid = root
  let value: unknown = (cid.code === dagJson.code ? dagJson : dagCbor).decode(await load(cid))
  for (const [i, segment] of segments.entries()) {
    if (value === null || typeof value !== 'object') return 'missing'
    value = Array.isArray(value) ? value[Number(segment)] : (value as Record<string, unknown>)[segment]
    if (value === undefined) return 'missing'
    const link = CID.asCID(value)
    if (link !== null) {
      cid = link
      if (i === segments.length - 1) return cid
      if (cid.code !== dagJson.code && cid.code !== dagCbor.code) return 'inside'
      value = (cid.code === dagJson.code ? dagJson : dagCbor).decode(await load(cid))
    }
  }
  return segments.length === 0 ? cid : 'inside'
}

export interface PathRequestInit {
  headers: Headers
  signal?: AbortSignal | undefined
  gatewayTimeoutMs?: number | undefined
}

/** A response that answers the request before verified-fetch is asked (412, 406, 501, 404), or undefined. */
export async function precheck (sources: BlockSources, address: string, init: PathRequestInit): Promise<Response | undefined> {
  const target = parseContentPath(address)
  if (target.namespace !== 'ipfs') return undefined
  const root = CID.parse(target.root)
  if (/(^|,)\s*only-if-cached\s*(,|$)/i.test(init.headers.get('cache-control') ?? '') && !(await sources.blockstore.has(root))) {
    return status(412, `${root.toString()} is not stored on this device, and the request asked for only-if-cached.`)
  }
  const want = asked(new URLSearchParams(target.search), init.headers)
  const dagCode = want === undefined ? undefined : DAG_TYPES.get(want)
  const plain = want === undefined ? undefined : PLAIN_TYPES.get(want)
  if (dagCode === undefined && plain === undefined) return undefined
  if (root.code !== dagJson.code && root.code !== dagCbor.code) {
    return dagCode === undefined ? undefined : status(406, `${root.toString()} is not ${want ?? ''}: a gateway does not convert between codecs. Ask for ?format=raw.`)
  }
  const segments = target.path.split('/').filter(s => s !== '').map(s => decodeURIComponent(s))
  const offline = sources.gateways.length === 0
  const load = async (cid: CID): Promise<Uint8Array> => await readLocalBlock({
    async * get (c: CID) { yield await getBlock(sources, c, { signal: init.signal, offline, gatewayTimeoutMs: init.gatewayTimeoutMs }) }
  }, cid, init.signal)
  const end = await walkIpld(load, root, segments)
  if (end === 'missing') return status(404, `${target.path} was not found in ${root.toString()}.`)
  if (end === 'inside') return status(501, `${target.path} ends inside a block of ${root.toString()}, not at a link: reading values other than links is not implemented.`)
  if (dagCode !== undefined && end.code !== dagCode) return status(406, `${end.toString()} is not ${want ?? ''}: a gateway does not convert between codecs. Ask for ?format=raw.`)
  return undefined
}

/** The plain `application/json` / `application/cbor` type when that is what was asked for. */
export function plainType (address: string, headers: Headers, contentType: string | null): string | undefined {
  const want = asked(new URLSearchParams(parseContentPath(address).search), headers)
  const plain = want === undefined ? undefined : PLAIN_TYPES.get(want)
  if (plain === undefined || contentType === null) return undefined
  return contentType.startsWith('application/vnd.ipld.dag-') ? plain.type : undefined
}

function filenameOf (header: string): string | undefined {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header)
  if (star?.[1] !== undefined) {
    try { return decodeURIComponent(star[1]) } catch { /* fall through to the plain one */ }
  }
  return /filename="([^"]*)"/i.exec(header)?.[1]
}

/**
 * `inline|attachment; filename="<ascii>"; filename*=UTF-8''…` from verified-fetch's header, the
 * `?filename=` and `?download=true` of the address, or the last path segment.
 */
export function disposition (original: string | null, address: string): string | undefined {
  const query = new URLSearchParams(parseContentPath(address).search)
  const given = query.get('filename')
  if (original === null && given === null) return undefined
  const type = (original ?? '').trim().toLowerCase().startsWith('attachment') || query.get('download') === 'true' ? 'attachment' : 'inline'
  const target = parseContentPath(address)
  const last = target.path.split('/').filter(s => s !== '').pop()
  let name: string | undefined
  try { name = last === undefined ? undefined : decodeURIComponent(last) } catch { name = last }
  // A path names the file; a bare CID takes verified-fetch's name (`<cid>.json`, …).
  return attachment(given ?? name ?? (original === null ? undefined : filenameOf(original)) ?? target.root, type)
}

function etagValue (tag: string): string {
  return tag.trim().replace(/^W\//, '')
}

/** Whether `If-None-Match` matches `etag` (weak comparison, as for GET). */
export function notModified (ifNoneMatch: string | null, etag: string | null): boolean {
  if (ifNoneMatch === null || etag === null) return false
  if (ifNoneMatch.trim() === '*') return true
  const mine = etagValue(etag)
  return ifNoneMatch.split(',').some(t => etagValue(t) === mine)
}

/** The ETag of a listing of the directory `cid`. */
export function listingEtag (cid: string): string {
  return `"DirIndex-${LISTING_VERSION}_CID-${cid}"`
}

/** File names whose bytes are text to read, whatever type verified-fetch guessed (often none). */
const TEXT_EXTENSIONS = new Set([
  'md', 'markdown', 'txt', 'text', 'log', 'csv', 'tsv', 'json', 'jsonl', 'ndjson', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'env',
  'ts', 'tsx', 'js', 'mjs', 'cjs', 'jsx', 'py', 'rs', 'go', 'c', 'h', 'cc', 'cpp', 'hpp', 'java', 'kt', 'swift', 'rb', 'php', 'pl',
  'sh', 'bash', 'zsh', 'ps1', 'bat', 'css', 'scss', 'less', 'sql', 'lua', 'r', 'tex', 'rst', 'adoc', 'diff', 'patch', 'gitignore'
])
export const TEXT_TYPE = 'text/plain; charset=utf-8'

/** No type, the generic binary one, or a text type Chromium saves rather than shows (text/markdown, text/x-…). */
function downloadsInstead (contentType: string | null): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return type === '' || type === 'application/octet-stream' || type === 'text/markdown' || type.startsWith('text/x-') || type === 'application/x-sh' || type === 'application/toml' || type === 'application/yaml' || type === 'text/yaml'
}

/**
 * `text/plain; charset=utf-8` for a file whose name says it is text (.md, .csv, .json, source
 * files): shown inline in the sandbox instead of downloaded, and never as HTML. Not for a
 * directory, a `?format=`/Accept request (plainType answers those) or an explicit download.
 */
export function textType (address: string, unixfsType: string | null, contentType: string | null): string | undefined {
  if (unixfsType === 'directory') return undefined
  // Only a type the browser would download instead of showing is replaced: a site's stylesheet
  // (text/css), scripts and JSON keep theirs, so pages and their fetches work as before.
  if (!downloadsInstead(contentType)) return undefined
  const target = parseContentPath(address)
  const query = new URLSearchParams(target.search)
  if (query.has('format')) return undefined
  let name = query.get('filename') ?? target.path.split('/').filter(s => s !== '').pop() ?? ''
  try { name = decodeURIComponent(name) } catch { /* the raw segment */ }
  const dot = name.lastIndexOf('.')
  const ext = dot < 0 ? '' : name.slice(dot + 1).toLowerCase()
  return TEXT_EXTENSIONS.has(ext) ? TEXT_TYPE : undefined
}
