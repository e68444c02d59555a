/**
 * The S3 keeper against a fake Filebase-like bucket (./fake-s3.ts) that checks every SigV4
 * signature with AWS's own signer and imports uploaded CARs: one PUT for a small DAG, multipart
 * for a larger one, a refused secret, a bucket that reports another CID, and status.
 */
import { CarReader } from '@ipld/car'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeeperAuthError, KeeperError, KeeperUnsupportedError, S3Keeper } from '../../../src/ipfs/push/index.js'
import { startFakeS3 } from './fake-s3.js'
import { makeDag } from './helpers.js'
import type { KeeperEvents } from '../../../src/ipfs/push/index.js'
import type { FakeS3 } from './fake-s3.js'

const BUCKET = 'cairn-backups'
const KEY_ID = 'AKIAFAKEFILEBASE'
const SECRET = 'the-right-secret-0123456789'
const MIB = 1024 * 1024
let s3: FakeS3
const servers: FakeS3[] = []

beforeAll(async () => {
  s3 = await startFakeS3({ bucket: BUCKET, keys: { [KEY_ID]: SECRET } })
  servers.push(s3)
})

afterAll(async () => {
  await Promise.all(servers.map(async s => { await s.close() }))
})

const keeper = (over: Partial<ConstructorParameters<typeof S3Keeper>[0]> = {}, server = s3): S3Keeper =>
  new S3Keeper({ name: 'filebase', endpoint: server.url, bucket: BUCKET, accessKeyId: KEY_ID, secretAccessKey: SECRET, ...over })

describe('S3Keeper (CAR import, Filebase style)', () => {
  it('uploads a small DAG in one signed PUT, and reads the imported CID back', async () => {
    const blocks = new MemoryBlockstore()
    const dag = await makeDag(blocks, 's3-small')
    const k = keeper()
    expect(await k.status(dag.root)).toEqual({ state: 'absent' })
    const before = s3.requests.length
    const events: KeeperEvents[] = []
    const result = await k.pushDag(dag.root, { blocks, signal: AbortSignal.timeout(30_000), onProgress: e => events.push(e) })
    expect(result).toEqual({ state: 'pinned', detail: dag.root.toString() })
    const lines = s3.requests.slice(before).map(r => r.line)
    expect(lines).toEqual([`PUT /${BUCKET}/${dag.root.toString()}.car`, `HEAD /${BUCKET}/${dag.root.toString()}.car`])
    const stored = s3.objects.get(`${dag.root.toString()}.car`)
    expect(stored?.meta['x-amz-meta-import']).toBe('car')
    expect(stored?.meta['x-amz-meta-cid']).toBe(dag.root.toString())
    const reader = await CarReader.fromBytes(stored?.data ?? new Uint8Array())
    expect((await reader.getRoots()).map(String)).toEqual([dag.root.toString()])
    for (const cid of dag.cids) expect(await reader.has(cid)).toBe(true)
    expect(events.filter(e => e.type === 'push:keeper:upload').at(-1)?.detail.blocks).toBe(dag.cids.length)
    expect(events.at(-1)).toEqual({ type: 'push:keeper:status', detail: { state: 'pinned', detail: dag.root.toString() } })
    expect(await k.status(dag.root)).toEqual({ state: 'pinned', detail: dag.root.toString() })
  })

  it('uploads a multi-MiB DAG with multipart upload, one part in memory at a time', async () => {
    const blocks = new MemoryBlockstore()
    const dag = await makeDag(blocks, 's3-large', { branches: 4, leavesPerBranch: 4, leafBytes: 800_000 })
    expect(dag.bytes).toBeGreaterThan(12 * MIB)
    const before = s3.requests.length
    const result = await keeper({ partBytes: 5 * MIB }).pushDag(dag.root, { blocks, signal: AbortSignal.timeout(60_000) })
    expect(result.state).toBe('pinned')
    const sent = s3.requests.slice(before)
    const key = `/${BUCKET}/${dag.root.toString()}.car`
    expect(sent[0]?.line).toBe(`POST ${key}?uploads=`)
    const parts = sent.filter(r => r.line.startsWith(`PUT ${key}?partNumber=`))
    expect(parts.length).toBe(3)
    for (const p of parts) expect(p.bodyBytes).toBeLessThan(5 * MIB + 800_100) // a part, plus at most one block
    expect(sent.at(-2)?.line).toMatch(/^POST \/[^?]+\.car\?uploadId=upload-\d+$/)
    expect(sent.at(-1)?.line).toBe(`HEAD ${key}`)
    const stored = s3.objects.get(`${dag.root.toString()}.car`)
    expect(stored?.meta['x-amz-meta-cid']).toBe(dag.root.toString())
    const reader = await CarReader.fromBytes(stored?.data ?? new Uint8Array())
    for (const cid of dag.cids) expect(await reader.has(cid)).toBe(true)
  })

  it('says a wrong secret was refused, and where to fix it', async () => {
    const blocks = new MemoryBlockstore()
    const dag = await makeDag(blocks, 's3-wrong-secret', { branches: 1, leavesPerBranch: 1 })
    const err = await keeper({ secretAccessKey: 'not-the-secret' }).pushDag(dag.root, { blocks, signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperAuthError)
    expect((err as Error).message).toMatch(/refused the credentials \(HTTP 403: SignatureDoesNotMatch .*Check the access key and secret in Settings/)
    expect(s3.objects.has(`${dag.root.toString()}.car`)).toBe(false)
    await expect(keeper({ accessKeyId: 'AKIAUNKNOWN' }).status(dag.root)).rejects.toThrow(KeeperAuthError)
  })

  it('fails clearly when the bucket reports another CID than the root sent', async () => {
    const other = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode('not the root')))
    const liar = await startFakeS3({ bucket: BUCKET, keys: { [KEY_ID]: SECRET }, cidFor: () => other.toString() })
    servers.push(liar)
    const blocks = new MemoryBlockstore()
    const dag = await makeDag(blocks, 's3-liar', { branches: 1, leavesPerBranch: 2 })
    const k = keeper({}, liar)
    const err = await k.pushDag(dag.root, { blocks, signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeeperError)
    expect((err as Error).message).toContain(`imported the CAR as ${other.toString()}, not ${dag.root.toString()}`)
    expect(await k.status(dag.root)).toEqual({ state: 'failed', detail: other.toString() })

    const noImport = await startFakeS3({ bucket: BUCKET, keys: { [KEY_ID]: SECRET }, cidFor: () => '' })
    servers.push(noImport)
    const err2 = await keeper({}, noImport).pushDag(dag.root, { blocks, signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e)
    expect(err2).toBeInstanceOf(KeeperError)
    expect((err2 as Error).message).toMatch(/reported no CID for it \(no x-amz-meta-cid\): it did not import the CAR/)
  })

  it('holds no IPNS records, and names a missing bucket', async () => {
    const k = keeper({ bucket: 'no-such-bucket' })
    expect(k.holdsRecords).toBe(false)
    expect(k.id).toBe('s3:filebase')
    await expect(k.pushRecord('k51qzi5uqu5dl', new Uint8Array(1))).rejects.toThrow(KeeperUnsupportedError)
    const blocks = new MemoryBlockstore()
    const dag = await makeDag(blocks, 's3-no-bucket', { branches: 1, leavesPerBranch: 1 })
    await expect(k.pushDag(dag.root, { blocks })).rejects.toThrow(/has no bucket "no-such-bucket" \(HTTP 404\)\. Create it/)
  })
})
