/**
 * A small S3-compatible server for tests, behaving like a Filebase IPFS bucket: every request's
 * SigV4 signature is recomputed with AWS's own signer (@smithy/signature-v4, an implementation
 * independent of the client's aws4fetch) and refused with 403 SignatureDoesNotMatch when it
 * differs; PUT, HEAD and multipart upload are served; an object stored with
 * `x-amz-meta-import: car` is parsed with @ipld/car, every block's hash is checked, and the CAR's
 * root is reported as `x-amz-meta-cid`. Loopback only; objects live in memory.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { CarReader } from '@ipld/car'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import type { CID } from 'multiformats/cid'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

export interface FakeS3Init {
  bucket: string
  region?: string
  /** Access key id → secret. */
  keys: Record<string, string>
  /** Replaces the CID reported for an imported CAR (to test a keeper that answers another CID). */
  cidFor?: (root: CID) => string | undefined
}

export interface FakeS3 {
  url: string
  /** `METHOD path?query` of every request, and its body size. */
  requests: Array<{ line: string, bodyBytes: number }>
  objects: Map<string, { data: Uint8Array, meta: Record<string, string> }>
  close: () => Promise<void>
}

const MIN_PART = 5 * 1024 * 1024
const MAX_BODY = 64 * 1024 * 1024

function xmlError (res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' })
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`)
}

async function readRequest (req: IncomingMessage): Promise<Uint8Array> {
  const parts: Buffer[] = []
  let length = 0
  for await (const chunk of req) {
    length += (chunk as Buffer).byteLength
    if (length > MAX_BODY) throw new Error('body too large')
    parts.push(chunk as Buffer)
  }
  return new Uint8Array(Buffer.concat(parts))
}

/** Recomputes the request's signature over the headers it says it signed. */
async function verifySignature (req: IncomingMessage, url: URL, body: Uint8Array, init: FakeS3Init): Promise<{ ok: true } | { ok: false, code: string, message: string }> {
  const auth = req.headers.authorization ?? ''
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth)
  if (m === null) return { ok: false, code: 'AccessDenied', message: 'Missing or malformed SigV4 Authorization header' }
  const [, accessKeyId = '', , region = '', signedHeaders = ''] = m
  const secret = init.keys[accessKeyId]
  if (secret === undefined) return { ok: false, code: 'InvalidAccessKeyId', message: 'The access key does not exist' }
  const amzDate = String(req.headers['x-amz-date'] ?? '')
  const d = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate)
  if (d === null) return { ok: false, code: 'AccessDenied', message: 'Missing x-amz-date' }
  const signingDate = new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(d[4]), Number(d[5]), Number(d[6])))
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? '')
  if (/^[0-9a-f]{64}$/.test(payloadHash) && createHash('sha256').update(body).digest('hex') !== payloadHash) {
    return { ok: false, code: 'XAmzContentSHA256Mismatch', message: 'The body does not match x-amz-content-sha256' }
  }
  const headers: Record<string, string> = {}
  for (const name of signedHeaders.split(';')) {
    const value = req.headers[name]
    if (value === undefined) return { ok: false, code: 'AccessDenied', message: `Signed header ${name} is missing` }
    headers[name] = Array.isArray(value) ? value.join(',') : value
  }
  const query: Record<string, string> = {}
  for (const [k, v] of url.searchParams) query[k] = v
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey: secret }, region: init.region ?? region, service: 's3', sha256: Hash.bind(null, 'sha256'), uriEscapePath: false })
  const signed = await signer.sign({ method: req.method ?? 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers, body }, { signingDate })
  const expected = String(signed.headers.authorization ?? signed.headers.Authorization ?? '')
  if (expected !== auth) return { ok: false, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' }
  return { ok: true }
}

/** Imports a CAR as Filebase does: every block checked; the root becomes x-amz-meta-cid. */
async function importCar (data: Uint8Array): Promise<CID> {
  const reader = await CarReader.fromBytes(data)
  const roots = await reader.getRoots()
  const root = roots[0]
  if (roots.length !== 1 || root === undefined) throw new Error('a CAR to import has exactly one root')
  let sawRoot = false
  for await (const block of reader.blocks()) {
    const code = block.cid.multihash.code
    const digest = code === sha256.code ? await sha256.digest(block.bytes) : code === identity.code ? identity.digest(block.bytes) : undefined
    if (digest === undefined) throw new Error(`unsupported hash 0x${code.toString(16)}`)
    if (Buffer.compare(Buffer.from(digest.bytes), Buffer.from(block.cid.multihash.bytes)) !== 0) throw new Error(`block ${block.cid} does not match its hash`)
    if (block.cid.equals(root)) sawRoot = true
  }
  if (!sawRoot) throw new Error('the root block is missing')
  return root
}

export async function startFakeS3 (init: FakeS3Init): Promise<FakeS3> {
  const objects = new Map<string, { data: Uint8Array, meta: Record<string, string> }>()
  const uploads = new Map<string, { key: string, meta: Record<string, string>, parts: Map<number, { data: Uint8Array, etag: string }> }>()
  const requests: FakeS3['requests'] = []
  let nextUpload = 1

  const metaOf = (req: IncomingMessage): Record<string, string> => Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-amz-meta-')).map(([k, v]) => [k, String(v)]))
  const store = async (key: string, data: Uint8Array, meta: Record<string, string>): Promise<{ ok: true, meta: Record<string, string> } | { ok: false, message: string }> => {
    const out = { ...meta }
    if (meta['x-amz-meta-import'] === 'car') {
      try {
        const root = await importCar(data)
        out['x-amz-meta-cid'] = init.cidFor?.(root) ?? root.toString()
      } catch (err) {
        return { ok: false, message: `The CAR could not be imported: ${(err as Error).message}` }
      }
    }
    objects.set(key, { data, meta: out })
    return { ok: true, meta: out }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`)
    const body = await readRequest(req)
    requests.push({ line: `${req.method ?? ''} ${url.pathname}${url.search}`, bodyBytes: body.byteLength })
    const check = await verifySignature(req, url, body, init)
    if (!check.ok) { xmlError(res, 403, check.code, check.message); return }
    const [, bucket, ...rest] = url.pathname.split('/')
    const key = decodeURIComponent(rest.join('/'))
    if (bucket !== init.bucket) { xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist'); return }
    const q = url.searchParams
    if (req.method === 'HEAD') {
      const o = objects.get(key)
      if (o === undefined) { res.writeHead(404).end(); return }
      res.writeHead(200, { ...o.meta, 'content-length': String(o.data.byteLength), etag: '"x"' }).end()
      return
    }
    if (req.method === 'PUT' && !q.has('uploadId')) {
      const r = await store(key, body, metaOf(req))
      if (!r.ok) { xmlError(res, 400, 'InvalidRequest', r.message); return }
      res.writeHead(200, { ...r.meta, etag: `"${createHash('md5').update(body).digest('hex')}"` }).end()
      return
    }
    if (req.method === 'POST' && q.has('uploads')) {
      const id = `upload-${nextUpload++}`
      uploads.set(id, { key, meta: metaOf(req), parts: new Map() })
      res.writeHead(200, { 'content-type': 'application/xml' })
      res.end(`<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${init.bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`)
      return
    }
    const upload = uploads.get(q.get('uploadId') ?? '')
    if (upload === undefined || upload.key !== key) { xmlError(res, 404, 'NoSuchUpload', 'The specified upload does not exist'); return }
    if (req.method === 'PUT') {
      const n = Number(q.get('partNumber'))
      if (!Number.isInteger(n) || n < 1 || n > 10_000) { xmlError(res, 400, 'InvalidArgument', 'partNumber must be 1 to 10000'); return }
      const etag = `"${createHash('md5').update(body).digest('hex')}"`
      upload.parts.set(n, { data: body, etag })
      res.writeHead(200, { etag }).end()
      return
    }
    if (req.method === 'DELETE') {
      uploads.delete(q.get('uploadId') ?? '')
      res.writeHead(204).end()
      return
    }
    if (req.method === 'POST') {
      const listed = [...new TextDecoder().decode(body).matchAll(/<Part><PartNumber>(\d+)<\/PartNumber><ETag>([^<]+)<\/ETag><\/Part>/g)]
      const chosen: Uint8Array[] = []
      for (const [i, m] of listed.entries()) {
        const part = upload.parts.get(Number(m[1]))
        if (part === undefined || part.etag !== m[2]?.replace(/&quot;/g, '"')) { xmlError(res, 400, 'InvalidPart', `Part ${m[1]} was not uploaded or its ETag differs`); return }
        if (i < listed.length - 1 && part.data.byteLength < MIN_PART) { xmlError(res, 400, 'EntityTooSmall', 'Every part but the last must be at least 5 MiB'); return }
        chosen.push(part.data)
      }
      if (chosen.length === 0) { xmlError(res, 400, 'MalformedXML', 'No parts listed'); return }
      uploads.delete(q.get('uploadId') ?? '')
      const r = await store(key, new Uint8Array(Buffer.concat(chosen)), upload.meta)
      res.writeHead(200, { 'content-type': 'application/xml' })
      // S3 reports late failures inside a 200 answer
      res.end(r.ok
        ? `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>${init.bucket}</Bucket><Key>${key}</Key></CompleteMultipartUploadResult>`
        : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code><Message>${r.message}</Message></Error>`)
      return
    }
    xmlError(res, 405, 'MethodNotAllowed', 'Not served by this fake')
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => { if (!res.headersSent) xmlError(res, 500, 'InternalError', (err as Error).message) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    objects,
    close: async () => { await new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => { resolve() }) }) }
  }
}
