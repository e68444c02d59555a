/**
 * A keeper that is an S3-compatible bucket importing CARs, as Filebase's IPFS buckets do: PUT an
 * object whose body is a CARv1 with the metadata `x-amz-meta-import: car`; the service imports
 * (pins) the DAG and reports its root as `x-amz-meta-cid` on the object, read back with HEAD.
 *
 * Requests are signed with SigV4 (aws4fetch; the payload hash is sent and signed too) on
 * path-style URLs `<endpoint>/<bucket>/<root>.car`. Memory stays bounded: a CAR larger than one
 * part goes up with S3 multipart upload, one part in memory at a time; a smaller one in one PUT.
 * A bucket holds no IPNS records: `pushRecord` is unsupported.
 */
import { AwsClient } from 'aws4fetch'
import { CID } from 'multiformats/cid'
import { AbortError, InvalidInputError, isAbortError } from '../../core/errors.js'
import { MAX_ERROR_BYTES, readText } from '../../core/http-body.js'
import { emit } from '../../core/options.js'
import { exportCar } from '../car/car.js'
import { KeeperAuthError, KeeperError, KeeperUnreachableError, KeeperUnsupportedError } from './errors.js'
import type { Keeper, KeptStatus, PushDagOptions } from './keeper.js'
import type { AbortOptions } from '../../core/options.js'

export interface S3KeeperInit {
  /** The name in Settings. */
  name: string
  /** The S3 API base URL, e.g. `https://s3.filebase.com`. */
  endpoint: string
  bucket: string
  /** SigV4 region. Default `us-east-1` (what Filebase expects). */
  region?: string | undefined
  accessKeyId: string
  secretAccessKey: string
  fetch?: typeof globalThis.fetch | undefined
  /** Multipart part size (at least 5 MiB, S3's minimum). Default 8 MiB. */
  partBytes?: number | undefined
}

const MIB = 1024 * 1024
const MIN_PART = 5 * MIB
/** XML answers (CreateMultipartUpload, CompleteMultipartUpload) are small. */
const MAX_XML_BYTES = 64 * 1024
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

const hex = (bytes: ArrayBuffer): string => [...new Uint8Array(bytes)].map(b => b.toString(16).padStart(2, '0')).join('')

function unescapeXml (s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '')
}

/** The text of the first `<tag>` in `xml`, or undefined; bounded so a hostile answer cannot blow up. */
function xmlValue (xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]{0,2048})</${tag}>`).exec(xml)
  return m?.[1] === undefined ? undefined : unescapeXml(m[1]).trim()
}

function sameMultihash (a: CID, b: CID): boolean {
  const x = a.multihash.bytes
  const y = b.multihash.bytes
  return x.byteLength === y.byteLength && x.every((v, i) => v === y[i])
}

interface SendInit extends AbortOptions {
  query?: Record<string, string> | undefined
  headers?: Record<string, string> | undefined
  body?: Uint8Array | undefined
  /** Statuses handed back rather than thrown. */
  pass?: number[] | undefined
}

export class S3Keeper implements Keeper {
  readonly id: string
  readonly kind = 's3' as const
  readonly label: string
  readonly holdsRecords = false
  readonly #init: S3KeeperInit
  readonly #base: URL
  readonly #aws: AwsClient
  readonly #fetch: typeof globalThis.fetch
  readonly #partBytes: number

  constructor (init: S3KeeperInit) {
    try {
      this.#base = new URL(init.endpoint.replace(/\/+$/, '') + '/')
    } catch (err) {
      throw new InvalidInputError(`"${init.endpoint}" is not a URL. Write the S3 endpoint in Settings as https://host (e.g. https://s3.filebase.com).`, { cause: err })
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(init.bucket)) {
      throw new InvalidInputError(`"${init.bucket}" is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and dashes). Check the bucket in Settings.`)
    }
    if (init.partBytes !== undefined && init.partBytes < MIN_PART) {
      throw new InvalidInputError(`A multipart part must be at least 5 MiB (S3's minimum); got ${init.partBytes} bytes.`)
    }
    this.#init = init
    this.#partBytes = init.partBytes ?? 8 * MIB
    this.#aws = new AwsClient({ accessKeyId: init.accessKeyId, secretAccessKey: init.secretAccessKey, service: 's3', region: init.region ?? 'us-east-1', retries: 0 })
    this.#fetch = init.fetch ?? globalThis.fetch.bind(globalThis)
    this.id = `s3:${init.name}`
    this.label = `Bucket ${init.bucket} at ${this.#base.host}`
  }

  #where (): string {
    return `The S3 keeper "${this.#init.name}" (bucket ${this.#init.bucket} at ${this.#base.host})`
  }

  #url (key: string, query: Record<string, string> = {}): URL {
    const url = new URL(`${encodeURIComponent(this.#init.bucket)}/${encodeURIComponent(key)}`, this.#base)
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    return url
  }

  async #send (method: string, key: string, init: SendInit = {}): Promise<Response> {
    const body = init.body
    const hash = body === undefined ? EMPTY_SHA256 : hex(await crypto.subtle.digest('SHA-256', body as Uint8Array<ArrayBuffer>))
    const url = this.#url(key, init.query)
    let res: Response
    try {
      const request = await this.#aws.sign(url.toString(), {
        method,
        headers: { ...init.headers, 'x-amz-content-sha256': hash },
        ...(body !== undefined ? { body: body as Uint8Array<ArrayBuffer> } : {})
      })
      res = await this.#fetch(request, { signal: init.signal ?? null })
    } catch (err) {
      if (init.signal?.aborted === true || isAbortError(err)) throw new AbortError(`The request to S3 keeper "${this.#init.name}" was cancelled.`, { cause: err })
      throw new KeeperUnreachableError(`Could not reach the S3 keeper "${this.#init.name}" at ${this.#base.origin} (${(err as Error).message}). Check the endpoint in Settings and that the service is up; from a page, the bucket must also allow this origin (CORS).`, { cause: err })
    }
    if (res.ok || init.pass?.includes(res.status) === true) return res
    throw await this.#error(res, method, init.signal)
  }

  async #error (res: Response, method: string, signal: AbortSignal | undefined): Promise<Error> {
    const xml = method === 'HEAD' ? '' : await readText(res, { maxBytes: MAX_ERROR_BYTES, signal }).catch(() => '')
    const code = xmlValue(xml, 'Code')
    const message = xmlValue(xml, 'Message')
    const said = code !== undefined ? `: ${code}${message !== undefined ? ` (${message.slice(0, 300)})` : ''}` : ''
    if (res.status === 401 || res.status === 403) {
      return new KeeperAuthError(`${this.#where()} refused the credentials (HTTP ${res.status}${said}). Check the access key and secret in Settings, and that this key may write to bucket "${this.#init.bucket}".`)
    }
    if (code === 'NoSuchBucket') {
      return new KeeperError(`${this.#where()} has no bucket "${this.#init.bucket}" (HTTP ${res.status}). Create it (an IPFS bucket on Filebase) or fix its name in Settings.`, { status: res.status })
    }
    return new KeeperError(`${this.#where()} answered ${method} with HTTP ${res.status}${said}.`, { status: res.status })
  }

  async pushDag (root: CID, options: PushDagOptions): Promise<KeptStatus> {
    const { signal } = options
    const key = `${root.toString()}.car`
    const headers = { 'content-type': 'application/vnd.ipld.car', 'x-amz-meta-import': 'car' }
    let parts: Uint8Array[] = []
    let partLength = 0
    let chunks = 0 // the CAR header, then one per block
    let sent = 0
    let uploadId: string | undefined
    const etags: string[] = []
    const take = (): Uint8Array => {
      const out = new Uint8Array(partLength)
      let at = 0
      for (const p of parts) { out.set(p, at); at += p.byteLength }
      parts = []
      partLength = 0
      return out
    }
    const uploadPart = async (): Promise<void> => {
      if (uploadId === undefined) {
        const res = await this.#send('POST', key, { query: { uploads: '' }, headers, signal })
        uploadId = xmlValue(await readText(res, { maxBytes: MAX_XML_BYTES, signal, what: `${this.#where()}'s CreateMultipartUpload answer` }), 'UploadId')
        if (uploadId === undefined || uploadId === '') throw new KeeperError(`${this.#where()} did not answer CreateMultipartUpload with an UploadId. Check that the endpoint is an S3 API.`)
      }
      const body = take()
      const res = await this.#send('PUT', key, { query: { partNumber: String(etags.length + 1), uploadId }, body, signal })
      await res.body?.cancel()
      const etag = res.headers.get('etag')
      if (etag === null || etag === '' || etag.length > 1024) throw new KeeperError(`${this.#where()} did not return an ETag for part ${etags.length + 1}. Check that the endpoint is an S3 API.`)
      etags.push(etag)
      sent += body.byteLength
      emit(options, 'push:keeper:upload', { blocks: Math.max(0, chunks - 1), bytes: sent })
    }
    try {
      for await (const chunk of exportCar(options.blocks, root, { signal })) {
        parts.push(chunk)
        partLength += chunk.byteLength
        chunks++
        if (partLength >= this.#partBytes) await uploadPart()
      }
      if (uploadId === undefined) {
        const body = take()
        const res = await this.#send('PUT', key, { headers, body, signal })
        await res.body?.cancel()
        sent = body.byteLength
      } else {
        if (partLength > 0) await uploadPart()
        const xml = '<CompleteMultipartUpload>' + etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</ETag></Part>`).join('') + '</CompleteMultipartUpload>'
        const res = await this.#send('POST', key, { query: { uploadId }, headers: { 'content-type': 'application/xml' }, body: new TextEncoder().encode(xml), signal })
        // S3 may answer 200 and still put an <Error> in the body
        const answer = await readText(res, { maxBytes: MAX_XML_BYTES, signal, what: `${this.#where()}'s CompleteMultipartUpload answer` })
        if (answer.includes('<Error>')) {
          throw new KeeperError(`${this.#where()} could not assemble the upload: ${xmlValue(answer, 'Code') ?? 'error'} (${(xmlValue(answer, 'Message') ?? '').slice(0, 300)}). Push again.`)
        }
      }
      emit(options, 'push:keeper:upload', { blocks: Math.max(0, chunks - 1), bytes: sent })
    } catch (err) {
      if (uploadId !== undefined) {
        const id = uploadId
        await this.#send('DELETE', key, { query: { uploadId: id }, signal: AbortSignal.timeout(10_000) }).then(async r => { await r.body?.cancel() }, () => {})
      }
      throw err
    }
    const status = await this.status(root, { signal })
    if (status.state !== 'pinned') {
      throw new KeeperError(status.state === 'failed'
        ? `${this.#where()} imported the CAR as ${status.detail ?? 'another CID'}, not ${root}: it holds different data than was sent. Check that the bucket is an IPFS bucket, then push again.`
        : `${this.#where()} stored ${key} but reported no CID for it (no x-amz-meta-cid): it did not import the CAR. Check that "${this.#init.bucket}" is an IPFS bucket (Filebase) that imports CARs.`)
    }
    emit(options, 'push:keeper:status', status)
    return status
  }

  /** HEAD `<root>.car`: pinned when the CID read back is the root; failed when it is another; absent on 404. */
  async status (root: CID, options: AbortOptions = {}): Promise<KeptStatus> {
    const res = await this.#send('HEAD', `${root.toString()}.car`, { signal: options.signal, pass: [404] })
    await res.body?.cancel()
    if (res.status === 404) return { state: 'absent' }
    const said = res.headers.get('x-amz-meta-cid')?.trim()
    if (said === undefined || said === '') return { state: 'unknown', detail: 'the object has no x-amz-meta-cid: not imported as a CAR' }
    let cid: CID
    try {
      cid = CID.parse(said)
    } catch {
      return { state: 'failed', detail: `"${said.slice(0, 100)}" (not a CID)` }
    }
    return sameMultihash(cid, root) ? { state: 'pinned', detail: cid.toString() } : { state: 'failed', detail: cid.toString() }
  }

  async pushRecord (_name: string, _record: Uint8Array, _options?: AbortOptions): Promise<void> {
    throw new KeeperUnsupportedError(`The S3 keeper "${this.#init.name}" stores CARs, not IPNS records. Keep names alive with a Kubo keeper or a peer keeper instead.`)
  }
}
