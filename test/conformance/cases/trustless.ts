/**
 * Trustless gateway cases, from tests/trustless_gateway_raw_test.go, trustless_gateway_car_test.go
 * and trustless_gateway_ipns_test.go of ipfs/gateway-conformance.
 */
import type { CaseContext, ConformanceCase, Expectation, HeaderCheck } from '../types.js'

const RAW = 'application/vnd.ipld.raw'
const CAR = 'application/vnd.ipld.car'
const IPNS = 'application/vnd.ipfs.ipns-record'
const raw = 'gateway-raw-block.car'
const twoFiles = 'trustless_gateway_car/subdir-with-two-single-block-files.car'
const hamt = 'trustless_gateway_car/single-layer-hamt-with-multi-block-files.car'
const cborLinks = 'trustless_gateway_car/dir-with-dag-cbor-with-links.car'
const mixed = 'trustless_gateway_car/subdir-with-mixed-block-files.car'
const missing = 'trustless_gateway_car/file-3k-and-3-blocks-missing-block.car'
const dups = 'trustless_gateway_car/dir-with-duplicate-files.car'

/** The headers every CAR answer must carry (helpers.StandardCARTestTransforms). */
const CAR_HEADERS: HeaderCheck[] = [
  { name: 'X-Content-Type-Options', equals: 'nosniff' },
  { name: 'Accept-Ranges', equals: 'none' },
  { name: 'Content-Type', contains: CAR },
  { name: 'Content-Disposition', matches: 'attachment; filename=".*\\.car"' },
  { name: 'Etag', notEmpty: true }
]

interface CarSpec {
  goTest: string
  name: string
  /** Path (with `{cid}` already filled in) and query without `format=car`. */
  request: (ctx: CaseContext) => Promise<{ path: string, query: string }>
  expect: (ctx: CaseContext) => Promise<Expectation | Expectation[]>
}

function withCarHeaders (e: Expectation): Expectation {
  return e.status === 200 ? { ...e, headers: [...(e.headers ?? []), ...CAR_HEADERS] } : e
}

/** A CAR spec asked twice, with `?format=car` and with `Accept`, as the Go transform does. */
function carCases (group: string, specs: CarSpec[]): ConformanceCase[] {
  return specs.flatMap(s => {
    const expect = async (ctx: CaseContext): Promise<Expectation | Expectation[]> => {
      const e = await s.expect(ctx)
      return Array.isArray(e) ? e.map(withCarHeaders) : withCarHeaders(e)
    }
    return [
      {
        group, goTest: s.goTest, name: `${s.name} (format=car)`, only: undefined,
        request: async (ctx) => { const r = await s.request(ctx); return { path: `${r.path}?format=car${r.query === '' ? '' : '&' + r.query}` } },
        expect
      },
      {
        group, goTest: s.goTest, name: `${s.name} (Accept Header)`,
        request: async (ctx) => { const r = await s.request(ctx); return { path: `${r.path}${r.query === '' ? '' : '?' + r.query}`, headers: { Accept: CAR } } },
        expect
      }
    ] satisfies ConformanceCase[]
  })
}

const car = (blocks: string[], inOrder = true): Expectation => ({ status: 200, body: { kind: 'car', blocks, exactly: true, inOrder } })

export const trustlessRaw: ConformanceCase[] = [
  {
    group: 'trustless: raw', goTest: 'TestTrustlessRaw', name: 'GET with format=raw param returns a raw block',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(raw)).cid('dir')}?format=raw` }),
    expect: async ({ fx }) => ({ status: 200, body: { kind: 'bytes', bytes: await (await fx(raw)).rawData('dir') } })
  },
  {
    group: 'trustless: raw', goTest: 'TestTrustlessRaw', name: 'GET with application/vnd.ipld.raw header returns a raw block',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(raw)).cid('dir')}`, headers: { Accept: RAW } }),
    expect: async ({ fx }) => ({ status: 200, body: { kind: 'bytes', bytes: await (await fx(raw)).rawData('dir') } })
  },
  {
    group: 'trustless: raw', goTest: 'TestTrustlessRaw', name: 'GET with application/vnd.ipld.raw header returns expected response headers',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(raw)).cid('dir', 'ascii.txt')}`, headers: { Accept: RAW } }),
    expect: async ({ fx }) => {
      const bytes = await (await fx(raw)).rawData('dir', 'ascii.txt')
      return {
        status: 200,
        headers: [
          { name: 'Content-Type', equals: RAW },
          { name: 'Content-Length', equals: String(bytes.byteLength) },
          { name: 'Content-Disposition', contains: 'attachment;' },
          { name: 'X-Content-Type-Options', equals: 'nosniff' }
        ],
        body: { kind: 'bytes', bytes }
      }
    }
  },
  {
    group: 'trustless: raw', goTest: 'TestTrustlessRaw', name: 'GET with application/vnd.ipld.raw header and filename param returns expected Content-Disposition header with custom filename',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(raw)).cid('dir', 'ascii.txt')}?filename=foobar.bin`, headers: { Accept: RAW } }),
    expect: () => ({ status: 200, headers: [{ name: 'Content-Disposition', contains: 'attachment;' }, { name: 'Content-Disposition', contains: 'filename="foobar.bin' }] })
  },
  {
    group: 'trustless: raw', goTest: 'TestTrustlessRaw', name: 'GET with application/vnd.ipld.raw header returns expected caching headers',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(raw)).cid('dir', 'ascii.txt')}`, headers: { Accept: RAW } }),
    expect: async ({ fx }) => {
      const cid = await (await fx(raw)).cid('dir', 'ascii.txt')
      return {
        status: 200,
        headers: [
          { name: 'Etag', exists: true },
          { name: 'X-IPFS-Path', equals: `/ipfs/${cid}` },
          { name: 'X-IPFS-Roots', contains: cid },
          { name: 'Cache-Control', immutable: true }
        ]
      }
    }
  },
  {
    // The Go test draws random single ranges (helpers.OnlyRandomRangeTests); this is one fixed range.
    group: 'trustless: raw', goTest: 'TestTrustlessRawRanges', name: 'GET with application/vnd.ipld.raw with range request includes correct bytes',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(raw)).cid('dir', 'ascii.txt')}`, headers: { Accept: RAW, Range: 'bytes=1-5' } }),
    expect: async ({ fx }) => {
      const bytes = await (await fx(raw)).rawData('dir', 'ascii.txt')
      return [
        { status: 206, headers: [{ name: 'Content-Type', contains: RAW }, { name: 'Content-Range', equals: `bytes 1-5/${bytes.byteLength}` }], body: { kind: 'bytes', bytes: bytes.subarray(1, 6) } },
        { status: 200, headers: [{ name: 'Content-Type', contains: RAW }], body: { kind: 'bytes', bytes } }
      ]
    }
  }
]

const p = async (ctx: CaseContext, name: Parameters<CaseContext['fx']>[0], path: string, query: string, ...names: string[]): Promise<{ path: string, query: string }> =>
  ({ path: `/ipfs/${await (await ctx.fx(name)).cid(...names)}${path}`, query })

export const trustlessCarScope: ConformanceCase[] = carCases('trustless: CAR pathing and dag-scope', [
  {
    goTest: 'TestTrustlessCarPathing', name: 'GET default CAR response with pathing through UnixFS Directory',
    request: ctx => p(ctx, twoFiles, '/subdir/ascii.txt', ''),
    expect: async ({ fx }) => { const f = await fx(twoFiles); return car([await f.cid(), await f.cid('subdir'), await f.cid('subdir', 'ascii.txt')]) }
  },
  {
    goTest: 'TestTrustlessCarPathing', name: 'GET default CAR response of UnixFS file on a path with HAMT-sharded directory',
    request: ctx => p(ctx, hamt, '/685.txt', ''),
    expect: async ({ fx }) => { const f = await fx(hamt); return car([await f.cid(), ...await f.hamtTraversal([], '685.txt'), await f.cid('685.txt'), ...await f.descendants('685.txt')]) }
  },
  {
    goTest: 'TestTrustlessCarPathing', name: 'GET default CAR response of UnixFS file on a path with DAG-CBOR as root CID',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(cborLinks)).cid('document')}/files/single`, query: '' }),
    expect: async ({ fx }) => { const f = await fx(cborLinks); return car([await f.cid('document'), await f.cid('document', 'files', 'single')]) }
  },
  {
    goTest: 'TestTrustlessCarPathing', name: 'GET default CAR response for non-existing file',
    request: ctx => p(ctx, twoFiles, '/subdir/i-do-not-exist', ''),
    expect: async ({ fx }) => {
      const f = await fx(twoFiles)
      return [car([await f.cid(), await f.cid('subdir')]), { status: 404 }, { status: 200, headers: [{ name: 'X-Stream-Error', notEmpty: true }] }]
    }
  },
  {
    goTest: 'TestTrustlessCarDagScopeBlock', name: 'GET CAR with dag-scope=block of UnixFS directory on a path',
    request: ctx => p(ctx, twoFiles, '/subdir', 'dag-scope=block'),
    expect: async ({ fx }) => { const f = await fx(twoFiles); return car([await f.cid(), await f.cid('subdir')]) }
  },
  {
    goTest: 'TestTrustlessCarDagScopeBlock', name: 'GET CAR with dag-scope=block of UnixFS file on a path',
    request: ctx => p(ctx, twoFiles, '/subdir/ascii.txt', 'dag-scope=block'),
    expect: async ({ fx }) => { const f = await fx(twoFiles); return car([await f.cid(), await f.cid('subdir'), await f.cid('subdir', 'ascii.txt')]) }
  },
  {
    goTest: 'TestTrustlessCarDagScopeBlock', name: 'GET CAR with dag-scope=block of UnixFS file on a path with sharded directory',
    request: ctx => p(ctx, hamt, '/1.txt', 'dag-scope=block'),
    expect: async ({ fx }) => { const f = await fx(hamt); return car([await f.cid(), ...await f.hamtTraversal([], '1.txt'), await f.cid('1.txt')]) }
  },
  {
    goTest: 'TestTrustlessCarDagScopeEntity', name: 'GET CAR with dag-scope=entity of a UnixFS directory',
    request: ctx => p(ctx, twoFiles, '', 'dag-scope=entity'),
    expect: async ({ fx }) => car([await (await fx(twoFiles)).cid()])
  },
  {
    goTest: 'TestTrustlessCarDagScopeEntity', name: 'GET CAR with dag-scope=entity of a UnixFS sharded directory',
    request: ctx => p(ctx, hamt, '', 'dag-scope=entity'),
    expect: async ({ fx }) => { const f = await fx(hamt); const shards = await f.cidsInHamt(); return car([await f.cid(), ...shards.slice(1)]) }
  },
  {
    goTest: 'TestTrustlessCarDagScopeEntity', name: 'GET CAR with dag-scope=entity of a UnixFS file',
    request: ctx => p(ctx, mixed, '/subdir/ascii.txt', 'dag-scope=entity'),
    expect: async ({ fx }) => { const f = await fx(mixed); return car([await f.cid(), await f.cid('subdir'), await f.cid('subdir', 'ascii.txt')]) }
  },
  {
    goTest: 'TestTrustlessCarDagScopeEntity', name: 'GET CAR with dag-scope=entity of a chunked UnixFS file',
    request: ctx => p(ctx, mixed, '/subdir/multiblock.txt', 'dag-scope=entity'),
    expect: async ({ fx }) => { const f = await fx(mixed); return car([await f.cid(), await f.cid('subdir'), await f.cid('subdir', 'multiblock.txt'), ...await f.descendants('subdir', 'multiblock.txt')]) }
  },
  {
    goTest: 'TestTrustlessCarDagScopeEntity', name: 'GET CAR with dag-scope=entity of DAG-CBOR with Links',
    request: ctx => p(ctx, cborLinks, '/document', 'dag-scope=entity'),
    expect: async ({ fx }) => { const f = await fx(cborLinks); return car([await f.cid(), await f.cid('document')]) }
  },
  {
    goTest: 'TestTrustlessCarDagScopeAll', name: 'GET CAR with dag-scope=all of UnixFS directory with multiple files',
    request: ctx => p(ctx, mixed, '/subdir', 'dag-scope=all'),
    expect: async ({ fx }) => { const f = await fx(mixed); return car([await f.cid(), await f.cid('subdir'), ...await f.descendants('subdir')]) }
  },
  {
    goTest: 'TestTrustlessCarDagScopeAll', name: 'GET CAR with dag-scope=all of a chunked UnixFS file',
    request: ctx => p(ctx, mixed, '/subdir/multiblock.txt', 'dag-scope=all'),
    expect: async ({ fx }) => { const f = await fx(mixed); return car([await f.cid(), await f.cid('subdir'), await f.cid('subdir', 'multiblock.txt'), ...await f.descendants('subdir', 'multiblock.txt')]) }
  }
])

const CHUNKS = [
  'bafkreie5noke3mb7hqxukzcy73nl23k6lxszxi5w3dtmuwz62wnvkpsscm',
  'bafkreih4ephajybraj6wnxsbwjwa77fukurtpl7oj7t7pfq545duhot7cq',
  'bafkreigu7buvm3cfunb35766dn7tmqyh2um62zcio63en2btvxuybgcpue',
  'bafkreicll3huefkc3qnrzeony7zcfo7cr3nbx64hnxrqzsixpceg332fhe',
  'bafkreifst3pqztuvj57lycamoi7z34b4emf7gawxs74nwrc2c7jncmpaqm'
]

const multiblock = async (ctx: CaseContext, entityBytes: string): Promise<{ path: string, query: string }> =>
  p(ctx, mixed, '', `dag-scope=entity&entity-bytes=${entityBytes}`, 'subdir', 'multiblock.txt')
const multiblockCar = async ({ fx }: CaseContext, pick: (d: string[]) => string[]): Promise<Expectation> => {
  const f = await fx(mixed)
  return car([await f.cid('subdir', 'multiblock.txt'), ...pick(await f.descendants('subdir', 'multiblock.txt'))])
}

export const trustlessCarEntityBytes: ConformanceCase[] = carCases('trustless: CAR entity-bytes', [
  {
    goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes succeeds even if the gateway is missing a block after the requested range',
    request: ctx => p(ctx, missing, '', 'dag-scope=entity&entity-bytes=0:1000'),
    expect: async ({ fx }) => ({ status: 200, body: { kind: 'car', blocks: [await (await fx(missing)).cid(), 'QmPKt7ptM2ZYSGPUc8PmPT2VBkLDK3iqpG9TBJY7PCE9rF'], exactly: true } })
  },
  {
    goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes succeeds even if the gateway is missing a block before the requested range',
    request: ctx => p(ctx, missing, '', 'dag-scope=entity&entity-bytes=2200:*'),
    expect: async ({ fx }) => ({ status: 200, body: { kind: 'car', blocks: [await (await fx(missing)).cid(), 'QmWXY482zQdwecnfBsj78poUUuPXvyw2JAFAEMw4tzTavV'], exactly: true } })
  },
  {
    goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes of a full UnixFS file',
    request: ctx => p(ctx, mixed, '/subdir/multiblock.txt', 'dag-scope=entity&entity-bytes=0:*'),
    expect: async ({ fx }) => { const f = await fx(mixed); return car([await f.cid(), await f.cid('subdir'), await f.cid('subdir', 'multiblock.txt'), ...await f.descendants('subdir', 'multiblock.txt')]) }
  },
  {
    goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes of a UnixFS directory',
    request: ctx => p(ctx, hamt, '', 'dag-scope=entity&entity-bytes=0:*'),
    expect: async ({ fx }) => { const f = await fx(hamt); const shards = await f.cidsInHamt(); return car([await f.cid(), ...shards.slice(1)]) }
  },
  { goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes equivalent to a HTTP Range Request from the middle of a file to the end', request: ctx => multiblock(ctx, '512:*'), expect: ctx => multiblockCar(ctx, d => d.slice(2)) },
  { goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes equivalent to a HTTP Range Request for the middle of a file', request: ctx => multiblock(ctx, '512:1023'), expect: ctx => multiblockCar(ctx, d => d.slice(2, 4)) },
  { goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes equivalent to a HTTP Range Request for the middle of a file (negative ending)', request: ctx => multiblock(ctx, '512:-256'), expect: ctx => multiblockCar(ctx, d => d.slice(2, 4)) },
  { goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes equivalent to HTTP Suffix Range Request for part of a file', request: ctx => multiblock(ctx, '-5:*'), expect: ctx => multiblockCar(ctx, d => d.slice(3)) },
  { goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes requesting a negative range bigger than the length of a file', request: ctx => multiblock(ctx, '-9999:*'), expect: ctx => multiblockCar(ctx, () => CHUNKS) },
  { goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes requesting a range from the end of a file that is bigger than a file itself', request: ctx => multiblock(ctx, '-9999:-3'), expect: ctx => multiblockCar(ctx, () => CHUNKS.slice(0, 4)) },
  { goTest: 'TestTrustlessCarEntityBytes', name: 'GET CAR with entity-bytes requesting only the blocks for the first byte of a file', request: ctx => multiblock(ctx, '0:0'), expect: ctx => multiblockCar(ctx, d => d.slice(0, 1)) }
])

const dupBlocks = async ({ fx }: CaseContext, withCopy: boolean): Promise<string[]> => {
  const f = await fx(dups)
  return [await f.cid(), await f.cid('ascii.txt'), ...(withCopy ? [await f.cid('ascii-copy.txt')] : []), await f.cid('hello.txt'), await f.cid('multiblock.txt'), ...CHUNKS]
}
const dupsPath = async ({ fx }: CaseContext, query = ''): Promise<string> => `/ipfs/${await (await fx(dups)).cid()}${query}`
const G = 'trustless: CAR order, dups, version'

export const trustlessCarOrder: ConformanceCase[] = [
  {
    group: G, goTest: 'TestTrustlessCarOrderAndDuplicates', name: 'GET CAR with order=dfs and dups=y of UnixFS Directory With Duplicate Files',
    request: async ctx => ({ path: await dupsPath(ctx), headers: { Accept: `${CAR}; version=1; order=dfs; dups=y` } }),
    expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', contains: CAR }, { name: 'Content-Type', contains: 'order=dfs' }, { name: 'Content-Type', contains: 'dups=y' }], body: { kind: 'car', blocks: await dupBlocks(ctx, true), exactly: true, inOrder: true } })
  },
  {
    group: G, goTest: 'TestTrustlessCarOrderAndDuplicates', name: 'GET CAR with order=dfs and dups=n of UnixFS Directory With Duplicate Files',
    request: async ctx => ({ path: await dupsPath(ctx), headers: { Accept: `${CAR}; version=1; order=dfs; dups=n` } }),
    expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', contains: CAR }, { name: 'Content-Type', contains: 'order=dfs' }, { name: 'Content-Type', contains: 'dups=n' }], body: { kind: 'car', blocks: await dupBlocks(ctx, false), exactly: true, inOrder: true } })
  },
  {
    group: G, goTest: 'TestTrustlessCarOrderAndDuplicates', name: 'GET CAR smoke-test with order=unk of UnixFS Directory',
    request: async ctx => ({ path: await dupsPath(ctx), headers: { Accept: `${CAR}; version=1; order=unk` } }),
    expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', contains: CAR }, { name: 'Content-Type', contains: 'order=' }], body: { kind: 'car', blocks: await dupBlocks(ctx, true) } })
  },
  {
    group: G, goTest: 'TestTrustlessCarOrderAndDuplicates', name: 'GET CAR with order=dfs and dups=y of identity CID',
    request: () => ({ path: '/ipfs/bafkqaf3imvwgy3zaneqgc3janfxgy2lomvscay3jmqfa', headers: { Accept: `${CAR}; dups=y` } }),
    expect: () => ({ status: 200, headers: [{ name: 'Content-Type', contains: CAR }, { name: 'Content-Type', contains: 'dups=y' }], body: { kind: 'car', blocks: [], exactly: true, inOrder: true } })
  },
  {
    group: G, goTest: 'TestTrustlessCarOrderAndDuplicates', name: 'GET CAR with ?format=car respects Accept header order and dups params',
    request: async ctx => ({ path: await dupsPath(ctx, '?format=car'), headers: { Accept: `${CAR}; version=1; order=dfs; dups=y` } }),
    expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', contains: CAR }, { name: 'Content-Type', contains: 'order=dfs' }, { name: 'Content-Type', contains: 'dups=y' }], body: { kind: 'car', blocks: await dupBlocks(ctx, true), exactly: true, inOrder: true } })
  },
  {
    group: G, goTest: 'TestTrustlessCarOrderAndDuplicates', name: 'GET CAR with ?car-order=dfs takes precedence over order=unk in Accept',
    request: async ctx => ({ path: await dupsPath(ctx, '?format=car&car-order=dfs'), headers: { Accept: `${CAR}; order=unk` } }),
    expect: () => ({ status: 200, headers: [{ name: 'Content-Type', contains: CAR }, { name: 'Content-Type', contains: 'order=dfs' }] })
  },
  {
    group: G, goTest: 'TestTrustlessCarOrderAndDuplicates', name: 'GET CAR with ?car-dups=y takes precedence over dups=n in Accept',
    request: async ctx => ({ path: await dupsPath(ctx, '?format=car&car-dups=y'), headers: { Accept: `${CAR}; dups=n` } }),
    expect: () => ({ status: 200, headers: [{ name: 'Content-Type', contains: CAR }, { name: 'Content-Type', contains: 'dups=y' }] })
  },
  {
    group: G, goTest: 'TestTrustlessCarFormatPrecedence', name: 'GET with format=car query parameter takes precedence over Accept header',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(raw)).cid('dir')}?format=car`, headers: { Accept: RAW } }),
    expect: () => ({ status: 200, headers: [{ name: 'Content-Type', contains: CAR }] })
  },
  {
    group: G, goTest: 'TestTrustlessCarFormatPrecedence', name: 'GET with format=raw query parameter takes precedence over Accept header',
    request: async ({ fx }) => ({ path: `/ipfs/${await (await fx(raw)).cid('dir')}?format=raw`, headers: { Accept: CAR } }),
    expect: () => ({ status: 200, headers: [{ name: 'Content-Type', equals: RAW }] })
  }
]

const V1V2 = 'ipns_records/k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2.ipns-record'
const V2 = 'ipns_records/k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f_v2.ipns-record'
const IPNS_HEADERS: HeaderCheck[] = [
  { name: 'Content-Disposition', contains: 'attachment;' },
  { name: 'Content-Type', contains: IPNS },
  { name: 'Cache-Control', contains: 'public, max-age=1800' }
]

function ipnsCase (name: string, file: typeof V1V2 | typeof V2, viaAccept: boolean): ConformanceCase {
  return {
    group: 'trustless: IPNS records', goTest: 'TestGatewayIPNSRecord', name,
    notApplicable: { sw: 'the service worker holds no IPNS records: names are resolved by the page (it has the routers and the name state)' },
    request: async ({ record }) => {
      const r = await record(file)
      return viaAccept ? { path: `/ipns/${r.name}`, headers: { Accept: IPNS } } : { path: `/ipns/${r.name}?format=ipns-record` }
    },
    expect: async ({ record }) => { const r = await record(file); return { headers: IPNS_HEADERS, body: { kind: 'ipns-record', name: r.name, value: r.value } } }
  }
}

export const trustlessIpns: ConformanceCase[] = [
  ipnsCase('GET IPNS Record (V1+V2) with format=ipns-record has expected HTTP headers and valid key', V1V2, false),
  ipnsCase('GET IPNS Record (V2) with format=ipns-record has expected HTTP headers and valid key', V2, false),
  ipnsCase("GET IPNS Record (V1+V2) with 'Accept: application/vnd.ipfs.ipns-record' has expected HTTP headers and valid key", V1V2, true),
  ipnsCase("GET IPNS Record (V2) with 'Accept: application/vnd.ipfs.ipns-record' has expected HTTP headers and valid key", V2, true),
  {
    group: 'trustless: IPNS records', goTest: 'TestGatewayIPNSRecord', name: 'GET IPNS Record with explicit ?filename= succeeds with modified Content-Disposition header',
    notApplicable: { sw: 'the service worker holds no IPNS records: names are resolved by the page (it has the routers and the name state)' },
    request: async ({ record }) => ({ path: `/ipns/${(await record(V1V2)).name}?format=ipns-record&filename=${encodeURIComponent('testтест.ipns-record')}` }),
    expect: () => ({ headers: [{ name: 'Content-Disposition', contains: 'attachment; filename="test____.ipns-record"; filename*=UTF-8\'\'test%D1%82%D0%B5%D1%81%D1%82.ipns-record' }] })
  }
]

export const trustlessCases: ConformanceCase[] = [...trustlessRaw, ...trustlessCarScope, ...trustlessCarEntityBytes, ...trustlessCarOrder, ...trustlessIpns]
