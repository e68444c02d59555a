/**
 * Path gateway cases, from tests/path_gateway_raw_test.go, path_gateway_unixfs_test.go,
 * path_gateway_tar_test.go, path_gateway_cors_test.go and path_gateway_dag_test.go of
 * ipfs/gateway-conformance. They run against the service worker; the local network peer is a
 * trustless gateway only, so they are "not applicable" there (the runner's `only: 'sw'`).
 */
import type { CaseContext, ConformanceCase, Expectation } from '../types.js'

const RAW = 'application/vnd.ipld.raw'
const rawBlock = 'gateway-raw-block.car'
const listing = 'dir_listing/fixtures.car'
const cache = 'gateway-cache/fixtures.car'
const symlink = 'path_gateway_unixfs/symlink.car'
const files = 'path_gateway_unixfs/dir-with-files.car'
const percent = 'path_gateway_unixfs/dir-with-percent-encoded-filename.car'
const missing = 'trustless_gateway_car/file-3k-and-3-blocks-missing-block.car'
const tar = 'path_gateway_tar/fixtures.car'
const jsonCbor = 'path_gateway_dag/gateway-json-cbor.car'
const dagJson = 'path_gateway_dag/dag-json-traversal.car'
const dagCbor = 'path_gateway_dag/dag-cbor-traversal.car'

type Fx = Parameters<CaseContext['fx']>[0]
const cid = async (ctx: CaseContext, fx: Fx, ...names: string[]): Promise<string> => await (await ctx.fx(fx)).cid(...names)
const bytesOf = async (ctx: CaseContext, fx: Fx, ...names: string[]): Promise<Uint8Array> => await (await ctx.fx(fx)).rawData(...names)
const enc = (names: string[]): string => names.map(encodeURIComponent).join('/')

function group (name: string, goTest: string, cases: Array<Omit<ConformanceCase, 'group' | 'goTest' | 'only'>>): ConformanceCase[] {
  return cases.map(c => ({ ...c, group: name, goTest, only: 'sw' as const }))
}

const PUBLIC_IMMUTABLE = 'public, max-age=29030400, immutable'

export const pathRaw = group('path: raw', 'TestPathGatewayRaw', [
  {
    name: 'GET with format=raw param returns a raw block',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, rawBlock)}/dir?format=raw` }),
    expect: async ctx => ({ status: 200, body: { kind: 'bytes', bytes: await bytesOf(ctx, rawBlock, 'dir') } })
  },
  {
    name: 'GET with application/vnd.ipld.raw header returns a raw block',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, rawBlock)}/dir`, headers: { Accept: RAW } }),
    expect: async ctx => ({ status: 200, body: { kind: 'bytes', bytes: await bytesOf(ctx, rawBlock, 'dir') } })
  },
  {
    name: 'GET with application/vnd.ipld.raw with single range request includes correct bytes',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, rawBlock)}/dir`, headers: { Accept: RAW, Range: 'bytes=6-16' } }),
    expect: async ctx => ({ status: 206, headers: [{ name: 'Content-Type', equals: RAW }, { name: 'Content-Range', equals: 'bytes 6-16/57' }], body: { kind: 'bytes', bytes: (await bytesOf(ctx, rawBlock, 'dir')).subarray(6, 17) } })
  },
  {
    name: 'GET with application/vnd.ipld.raw header returns expected response headers',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, rawBlock)}/dir/ascii.txt`, headers: { Accept: RAW } }),
    expect: async ctx => {
      const bytes = await bytesOf(ctx, rawBlock, 'dir', 'ascii.txt')
      return { status: 200, headers: [{ name: 'Content-Type', equals: RAW }, { name: 'Content-Length', equals: String(bytes.byteLength) }, { name: 'Content-Disposition', contains: 'attachment;' }, { name: 'X-Content-Type-Options', equals: 'nosniff' }], body: { kind: 'bytes', bytes } }
    }
  },
  {
    name: 'GET with application/vnd.ipld.raw header and filename param returns expected Content-Disposition header with custom filename',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, rawBlock)}/dir/ascii.txt?filename=foobar.bin`, headers: { Accept: RAW } }),
    expect: () => ({ status: 200, headers: [{ name: 'Content-Disposition', contains: 'attachment;' }, { name: 'Content-Disposition', contains: 'filename="foobar.bin' }] })
  },
  {
    name: 'GET with application/vnd.ipld.raw header returns expected caching headers',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, rawBlock)}/dir/ascii.txt`, headers: { Accept: RAW } }),
    expect: async ctx => {
      const root = await cid(ctx, rawBlock)
      return { status: 200, headers: [{ name: 'ETag', exists: true }, { name: 'X-IPFS-Path', equals: `/ipfs/${root}/dir/ascii.txt` }, { name: 'X-IPFS-Roots', contains: root }, { name: 'Cache-Control', immutable: true }] }
    }
  }
])

const KUBO_HTML = 'asserts Kubo\'s own directory-listing markup (breadcrumbs, ipfs-hash links); the Go test name says "TODO: cleanup Kubo-specifics"'

export const pathUnixfs = [
  ...group('path: UnixFS files and directories', 'TestUnixFSDirectoryListing', [
    {
      name: 'path gw: backlink on root CID should be hidden (TODO: cleanup Kubo-specifics)',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, listing)}/` }),
      expect: async ctx => ({ body: { kind: 'all', checks: [{ kind: 'contains', text: 'Index of' }, { kind: 'not-contains', text: `<a href="/ipfs/${await cid(ctx, listing)}/">..</a>` }] } })
    },
    {
      name: 'path gw: redirect dir listing to URL with trailing slash',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, listing)}/${enc(['ą', 'ę'])}` }),
      expect: async ctx => ({ status: 301, headers: [{ name: 'Location', equals: `/ipfs/${await cid(ctx, listing)}/%C4%85/%C4%99/` }] })
    },
    {
      name: 'path gw: dir listing HTML response (TODO: cleanup Kubo-specifics)',
      notApplicable: { sw: KUBO_HTML },
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, listing)}/${enc(['ą', 'ę'])}/` }),
      expect: () => ({ headers: [{ name: 'Etag', contains: '"DirIndex-' }], body: { kind: 'contains', text: 'Index of' } })
    },
    {
      name: 'GET for /ipfs/cid/file UnixFS file that does not exist returns 404',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, listing)}/i-do-not-exist` }),
      expect: () => ({ status: 404 })
    }
  ]),
  ...group('path: UnixFS files and directories', 'TestGatewaySymlink', [
    { name: 'Test the directory listing', request: async ctx => ({ path: `/ipfs/${await cid(ctx, symlink)}/` }), expect: () => ({ body: { kind: 'all', checks: [{ kind: 'contains', text: '>foo<' }, { kind: 'contains', text: '>bar<' }] } }) },
    { name: 'Test the directory raw query', request: async ctx => ({ path: `/ipfs/${await cid(ctx, symlink)}?format=raw` }), expect: async ctx => ({ status: 200, body: { kind: 'bytes', bytes: await bytesOf(ctx, symlink) } }) },
    { name: 'Test the symlink', request: async ctx => ({ path: `/ipfs/${await cid(ctx, symlink)}/bar` }), expect: () => ({ status: 200, body: { kind: 'bytes', bytes: new TextEncoder().encode('foo') } }) }
  ]),
  ...group('path: UnixFS files and directories', 'TestGatewayUnixFSFileRanges', [
    {
      name: 'GET for /ipfs/ file includes Accept-Ranges header',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, files)}/ascii.txt` }),
      expect: async ctx => ({ status: 200, headers: [{ name: 'Accept-Ranges', equals: 'bytes' }], body: { kind: 'bytes', bytes: await bytesOf(ctx, files, 'ascii.txt') } })
    },
    {
      name: 'GET for /ipfs/ file with single range request includes correct bytes',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, files)}/ascii.txt`, headers: { Range: 'bytes=6-16' } }),
      expect: async ctx => ({ status: 206, headers: [{ name: 'Content-Range', equals: 'bytes 6-16/31' }], body: { kind: 'bytes', bytes: (await bytesOf(ctx, files, 'ascii.txt')).subarray(6, 17) } })
    },
    {
      name: 'GET for /ipfs/ file with suffix range request includes correct bytes from the end of file',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, files)}/ascii.txt`, headers: { Range: 'bytes=-3' } }),
      expect: async ctx => ({ status: 206, headers: [{ name: 'Content-Range', equals: 'bytes 28-30/31' }], body: { kind: 'bytes', bytes: (await bytesOf(ctx, files, 'ascii.txt')).subarray(28, 31) } })
    },
    {
      name: 'GET for /ipfs/ file with multiple range request returns correct bytes',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, files)}/ascii.txt`, headers: { Range: 'bytes=6-16,0-4' } }),
      expect: async ctx => {
        const bytes = await bytesOf(ctx, files, 'ascii.txt')
        return [
          { status: 206, headers: [{ name: 'Content-Range', equals: 'bytes 6-16/31' }], body: { kind: 'bytes', bytes: bytes.subarray(6, 17) } },
          { status: 206, headers: [{ name: 'Content-Type', contains: 'multipart/byteranges' }], body: { kind: 'contains', text: 'Content-Range: bytes 0-4/31' } }
        ]
      }
    },
    {
      name: 'GET Range of file succeeds even if the gateway is missing a block AFTER the requested range',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, missing)}`, headers: { Range: 'bytes=997-1000' } }),
      expect: () => ({ status: 206, headers: [{ name: 'Content-Range', equals: 'bytes 997-1000/3072' }] })
    },
    {
      name: 'GET Range of file succeeds even if the gateway is missing a block BEFORE the requested range',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, missing)}`, headers: { Range: 'bytes=2200-2201' } }),
      expect: () => ({ status: 206, headers: [{ name: 'Content-Range', equals: 'bytes 2200-2201/3072' }] })
    }
  ]),
  ...group('path: UnixFS files and directories', 'TestPathGatewayMiscellaneous', [
    {
      name: 'GET for /ipfs/ file whose filename contains percentage-encoded characters works',
      request: async ctx => ({ path: `/ipfs/${await cid(ctx, percent)}/Portugal%252C+España=Peninsula%20Ibérica.txt` }),
      expect: async ctx => ({ body: { kind: 'bytes', bytes: await bytesOf(ctx, percent, 'Portugal%2C+España=Peninsula Ibérica.txt') } })
    }
  ])
]


const r234 = ['root2', 'root3', 'root4']
const cachePath = async (ctx: CaseContext, tail: string): Promise<string> => `/ipfs/${await cid(ctx, cache)}/${tail}`
const roots = async (ctx: CaseContext, n: number): Promise<string> => {
  const out = [await cid(ctx, cache)]
  for (let i = 1; i < n; i++) out.push(await cid(ctx, cache, ...['root2', 'root3', 'root4', 'index.html'].slice(0, i)))
  return out.join(',')
}
const DIR_RAW = Uint8Array.from([
  0x12, 0x34, 0x0a, 0x24, 0x01, 0x55, 0x12, 0x20, 0x58, 0x91, 0xb5, 0xb5, 0x22, 0xd5, 0xdf, 0x08, 0x6d, 0x0f, 0xf0, 0xb1, 0x10, 0xfb, 0xd9, 0xd2,
  0x1b, 0xb4, 0xfc, 0x71, 0x63, 0xaf, 0x34, 0xd0, 0x82, 0x86, 0xa2, 0xe8, 0x46, 0xf6, 0xbe, 0x03, 0x12, 0x0a, 0x69, 0x6e, 0x64, 0x65, 0x78, 0x2e,
  0x68, 0x74, 0x6d, 0x6c, 0x18, 0x06, 0x0a, 0x02, 0x08, 0x01
])
const ONLY_IF_CACHED_MISSING = '/ipfs/QmYzfKSE55XCjD1MW128RfciAf2DViABhEiXfgVFMabSjN'
const indexHtml = async (ctx: CaseContext): Promise<string> => await cid(ctx, cache, ...r234, 'index.html')

export const pathCache = group('path: cache headers', 'TestGatewayCache', [
  {
    name: 'GET for /ipfs/ unixfs dir listing succeeds',
    request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/') }),
    expect: async ctx => [
      { status: 200, headers: [{ name: 'X-Ipfs-Path', equals: await cachePath(ctx, 'root2/root3/') }, { name: 'X-Ipfs-Roots', equals: await roots(ctx, 3) }, { name: 'Etag', matches: `DirIndex-.*_CID-${await cid(ctx, cache, 'root2', 'root3')}` }, { name: 'Cache-Control', exists: false }] },
      { status: 200, headers: [{ name: 'X-Ipfs-Path', equals: await cachePath(ctx, 'root2/root3/') }, { name: 'X-Ipfs-Roots', equals: await roots(ctx, 3) }, { name: 'Etag', matches: `DirIndex-.*_CID-${await cid(ctx, cache, 'root2', 'root3')}` }, { name: 'Cache-Control', equals: 'public, max-age=604800, stale-while-revalidate=2678400' }] }
    ]
  },
  {
    name: 'GET for /ipfs/ unixfs dir with index.html succeeds',
    request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/') }),
    expect: async ctx => ({ status: 200, headers: [{ name: 'Cache-Control', equals: PUBLIC_IMMUTABLE }, { name: 'X-Ipfs-Path', equals: await cachePath(ctx, 'root2/root3/root4/') }, { name: 'X-Ipfs-Roots', equals: await roots(ctx, 4) }, { name: 'Etag', equals: `"${await cid(ctx, cache, ...r234)}"` }] })
  },
  {
    name: 'GET for /ipfs/ unixfs file succeeds',
    request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/index.html') }),
    expect: async ctx => ({ status: 200, headers: [{ name: 'Cache-Control', equals: PUBLIC_IMMUTABLE }, { name: 'X-Ipfs-Path', equals: await cachePath(ctx, 'root2/root3/root4/index.html') }, { name: 'X-Ipfs-Roots', equals: await roots(ctx, 5) }, { name: 'Etag', equals: `"${await indexHtml(ctx)}"` }] })
  },
  {
    name: 'GET for /ipfs/ unixfs dir as raw block succeeds',
    request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/?format=raw') }),
    expect: () => ({ status: 200, headers: [{ name: 'Cache-Control', equals: PUBLIC_IMMUTABLE }], body: { kind: 'bytes', bytes: DIR_RAW } })
  },
  { name: 'HEAD for /ipfs/ with only-if-cached succeeds when in local datastore', request: async ctx => ({ method: 'HEAD', path: await cachePath(ctx, 'root2/root3/root4/?format=raw'), headers: { 'Cache-Control': 'only-if-cached' } }), expect: () => ({ status: 200 }) },
  { name: 'HEAD for /ipfs/ with only-if-cached fails when not in local datastore', request: () => ({ method: 'HEAD', path: ONLY_IF_CACHED_MISSING, headers: { 'Cache-Control': 'only-if-cached' } }), expect: () => ({ status: 412 }) },
  { name: 'GET for /ipfs/ with only-if-cached succeeds when in local datastore', request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/?format=raw'), headers: { 'Cache-Control': 'only-if-cached' } }), expect: () => ({ status: 200 }) },
  { name: 'GET for /ipfs/ with only-if-cached fails when not in local datastore', request: () => ({ path: ONLY_IF_CACHED_MISSING, headers: { 'Cache-Control': 'only-if-cached' } }), expect: () => ({ status: 412 }) },
  { name: 'GET for /ipfs/ file with matching Etag in If-None-Match returns 304 Not Modified', request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/index.html'), headers: { 'If-None-Match': `"${await indexHtml(ctx)}"` } }), expect: () => ({ status: 304 }) },
  { name: 'GET for /ipfs/ dir with index.html file with matching Etag in If-None-Match returns 304 Not Modified', request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/'), headers: { 'If-None-Match': `"${await cid(ctx, cache, ...r234)}"` } }), expect: () => ({ status: 304 }) },
  { name: 'GET for /ipfs/ file with matching third Etag in If-None-Match returns 304 Not Modified', request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/index.html'), headers: { 'If-None-Match': `"fakeEtag1", "fakeEtag2", "${await indexHtml(ctx)}"` } }), expect: () => ({ status: 304 }) },
  { name: 'GET for /ipfs/ file with matching weak Etag in If-None-Match returns 304 Not Modified', request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/index.html'), headers: { 'If-None-Match': `W/"${await indexHtml(ctx)}"` } }), expect: () => ({ status: 304 }) },
  { name: 'GET for /ipfs/ file with wildcard Etag in If-None-Match returns 304 Not Modified', request: async ctx => ({ path: await cachePath(ctx, 'root2/root3/root4/index.html'), headers: { 'If-None-Match': '*' } }), expect: () => ({ status: 304 }) }
])

const tarFile = async (ctx: CaseContext): Promise<string> => await cid(ctx, tar, 'ą', 'ę', 'file-źł.txt')
const TAR_TEXT = 'I am a txt file on path with utf8\n'

export const pathTar = group('path: tar', 'TestTar', [
  {
    name: 'GET TAR with format=tar and extract',
    request: async ctx => ({ path: `/ipfs/${await tarFile(ctx)}?format=tar` }),
    expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Disposition', contains: 'attachment;' }, { name: 'Etag', contains: `W/"${await tarFile(ctx)}.x-tar` }, { name: 'Content-Type', contains: 'application/x-tar' }], body: { kind: 'tar', entries: { [await tarFile(ctx)]: TAR_TEXT } } })
  },
  {
    name: "GET TAR with 'Accept: application/x-tar' and extract",
    request: async ctx => ({ path: `/ipfs/${await tarFile(ctx)}`, headers: { Accept: 'application/x-tar' } }),
    expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Disposition', contains: 'attachment;' }, { name: 'Etag', contains: `W/"${await tarFile(ctx)}.x-tar` }, { name: 'Content-Type', contains: 'application/x-tar' }], body: { kind: 'tar', entries: {} } })
  },
  {
    name: 'GET TAR has expected root directory',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, tar)}?format=tar` }),
    expect: async ctx => ({ status: 200, body: { kind: 'tar', entries: { [`${await cid(ctx, tar)}/ą/ę/file-źł.txt`]: TAR_TEXT } } })
  },
  {
    name: 'GET TAR with explicit ?filename= succeeds with modified Content-Disposition header',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, tar)}?filename=${encodeURIComponent('testтест.tar')}&format=tar` }),
    expect: () => ({ status: 200, headers: [{ name: 'Content-Disposition', contains: 'attachment; filename="test____.tar"; filename*=UTF-8\'\'test%D1%82%D0%B5%D1%81%D1%82.tar' }] })
  },
  {
    name: 'GET TAR with relative paths outside root fails',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, 'path_gateway_tar/outside-root.car')}?format=tar` }),
    expect: () => ({ statusBetween: [400, 599] })
  },
  {
    name: 'GET TAR with relative paths inside root works',
    request: async ctx => ({ path: `/ipfs/${await cid(ctx, 'path_gateway_tar/inside-root.car')}?format=tar` }),
    expect: async ctx => ({ status: 200, body: { kind: 'tar', entries: { [`${await cid(ctx, 'path_gateway_tar/inside-root.car')}/foobar/file`]: null } } })
  }
])

const CORS_HEADERS = [
  { name: 'Access-Control-Allow-Origin', equals: '*' },
  { name: 'Access-Control-Allow-Methods', has: ['GET', 'HEAD', 'OPTIONS'] },
  { name: 'Access-Control-Allow-Headers', has: ['Content-Type', 'Range', 'User-Agent', 'X-Requested-With'] },
  { name: 'Access-Control-Expose-Headers', has: ['Content-Range', 'Content-Length', 'X-Ipfs-Path', 'X-Ipfs-Roots', 'X-Chunked-Output', 'X-Stream-Output'] }
]
const SW_CORS = 'the service worker answers only its own origin\'s pages: a page on another origin never reaches it, and preflights go to the network, so CORS headers there would have no effect'

export const pathCors: ConformanceCase[] = [
  { group: 'CORS', goTest: 'TestCors', name: 'GET Responses from Gateway should include CORS headers allowing JS from other origins to read the data cross-origin.', notApplicable: { sw: SW_CORS }, request: () => ({ path: '/ipfs/bafkqabtimvwgy3yk/' }), expect: () => ({ headers: CORS_HEADERS }) },
  { group: 'CORS', goTest: 'TestCors', name: 'OPTIONS to Gateway succeeds', notApplicable: { sw: SW_CORS }, request: () => ({ method: 'OPTIONS', path: '/ipfs/bafkqabtimvwgy3yk/' }), expect: () => ({ headers: CORS_HEADERS }) }
]

const jsonFile = async (ctx: CaseContext): Promise<string> => await cid(ctx, jsonCbor, 'ą', 'ę', 't.json')
const textFile = async (ctx: CaseContext): Promise<string> => await cid(ctx, jsonCbor, 'ą', 'ę', 'file-źł.txt')
const DAG_G = 'path: dag-json, dag-cbor'

export const pathDag: ConformanceCase[] = [
  ...group(DAG_G, 'TestGatewayJsonCbor', [
    { name: 'GET UnixFS file with JSON bytes is returned with application/json Content-Type - without headers', request: async ctx => ({ path: `/ipfs/${await jsonFile(ctx)}` }), expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', equals: 'application/json' }], body: { kind: 'bytes', bytes: await bytesOf(ctx, jsonCbor, 'ą', 'ę', 't.json') } }) },
    { name: 'GET UnixFS file with JSON bytes is returned with application/json Content-Type - with headers', request: async ctx => ({ path: `/ipfs/${await jsonFile(ctx)}`, headers: { Accept: 'application/json' } }), expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', equals: 'application/json' }], body: { kind: 'bytes', bytes: await bytesOf(ctx, jsonCbor, 'ą', 'ę', 't.json') } }) },
    { name: 'GET raw block with JSON bytes prefers format over Accept header', request: async ctx => ({ path: `/ipfs/${await jsonFile(ctx)}?format=json`, headers: { Accept: RAW } }), expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', equals: 'application/json' }], body: { kind: 'bytes', bytes: await bytesOf(ctx, jsonCbor, 'ą', 'ę', 't.json') } }) }
  ]),
  ...group(DAG_G, 'TestCodecMismatchReturns406', [
    { name: 'GET UnixFS (dag-pb) file with format=dag-json returns 406 Not Acceptable', request: async ctx => ({ path: `/ipfs/${await textFile(ctx)}?format=dag-json` }), expect: () => ({ status: 406 }) },
    { name: 'GET UnixFS (dag-pb) file with format=dag-cbor returns 406 Not Acceptable', request: async ctx => ({ path: `/ipfs/${await textFile(ctx)}?format=dag-cbor` }), expect: () => ({ status: 406 }) },
    { name: 'GET UnixFS (dag-pb) file with Accept: application/vnd.ipld.dag-json returns 406 Not Acceptable', request: async ctx => ({ path: `/ipfs/${await textFile(ctx)}`, headers: { Accept: 'application/vnd.ipld.dag-json' } }), expect: () => ({ status: 406 }) },
    { name: 'GET DAG-JSON block with format=dag-cbor returns 406 Not Acceptable', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagJson)}?format=dag-cbor` }), expect: () => ({ status: 406 }) },
    { name: 'GET DAG-CBOR block with format=dag-json returns 406 Not Acceptable', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagCbor)}?format=dag-json` }), expect: () => ({ status: 406 }) },
    { name: 'GET DAG-CBOR block with Accept: application/vnd.ipld.dag-json returns 406 Not Acceptable', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagCbor)}`, headers: { Accept: 'application/vnd.ipld.dag-json' } }), expect: () => ({ status: 406 }) }
  ]),
  ...group(DAG_G, 'TestPathing', [
    { name: 'GET DAG-JSON traversal returns 501 if there is path remainder', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagJson)}/foo?format=dag-json` }), expect: () => ({ status: 501 }) },
    { name: 'GET DAG-JSON traverses multiple links', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagJson)}/foo/link/bar?format=dag-json` }), expect: () => ({ status: 200, body: { kind: 'json', value: { hello: 'this is not a link' } } }) },
    { name: 'GET DAG-JSON returns 404 on non-existing link', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagJson)}/foo/i-do-not-exist` }), expect: () => ({ status: 404 }) },
    { name: 'GET DAG-CBOR traversal returns 501 if there is path remainder', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagCbor)}/foo?format=dag-cbor` }), expect: () => ({ status: 501 }) },
    { name: 'GET DAG-CBOR traverses multiple links', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagCbor)}/foo/link/bar?format=dag-cbor` }), expect: () => ({ status: 200, body: { kind: 'bytes', bytes: Uint8Array.from([0xa1, 0x65, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x72, 0x74, 0x68, 0x69, 0x73, 0x20, 0x69, 0x73, 0x20, 0x6e, 0x6f, 0x74, 0x20, 0x61, 0x20, 0x6c, 0x69, 0x6e, 0x6b]) } }) },
    { name: 'GET DAG-CBOR returns 404 on non-existing link', request: async ctx => ({ path: `/ipfs/${await cid(ctx, dagCbor)}/foo/i-do-not-exist` }), expect: () => ({ status: 404 }) }
  ]),
  ...(['json', 'cbor'] as const).flatMap(format => {
    const name = format === 'json' ? 'plain JSON codec' : 'plain CBOR codec'
    const fx = format === 'json' ? dagJson : dagCbor
    const disposition = format === 'json' ? 'inline' : 'attachment'
    const payload = async (ctx: CaseContext): Promise<Expectation['body']> => {
      const bytes = await bytesOf(ctx, fx)
      return format === 'json' ? { kind: 'json', value: JSON.parse(new TextDecoder().decode(bytes)) } : { kind: 'bytes', bytes }
    }
    const root = async (ctx: CaseContext): Promise<string> => await cid(ctx, fx)
    return group(DAG_G, 'TestNativeDag', [
      { name: `GET ${name} from /ipfs without explicit format returns the same payload as the raw block`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}` }), expect: async ctx => ({ status: 200, body: await payload(ctx) }) },
      { name: `GET ${name} from /ipfs with format=dag-${format} returns the same payload as the raw block`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}?format=dag-${format}` }), expect: async ctx => ({ status: 200, body: await payload(ctx) }) },
      { name: `GET ${name} from /ipfs with application/vnd.ipld.dag-${format} returns the same payload as the raw block`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}`, headers: { Accept: `application/vnd.ipld.dag-${format}` } }), expect: async ctx => ({ status: 200, body: await payload(ctx) }) },
      { name: `GET ${name} with format=${format} returns same payload as format=dag-${format} but with plain Content-Type`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}?format=${format}` }), expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', equals: `application/${format}` }], body: await payload(ctx) }) },
      { name: `GET ${name} with Accept: application/${format} returns same payload as application/vnd.ipld.dag-${format} but with plain Content-Type`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}`, headers: { Accept: `application/${format}` } }), expect: async ctx => ({ status: 200, headers: [{ name: 'Content-Type', equals: `application/${format}` }], body: await payload(ctx) }) },
      { name: `GET response for application/vnd.ipld.dag-${format} has expected Content-Type`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}`, headers: { Accept: `application/vnd.ipld.dag-${format}` } }), expect: async ctx => ({ headers: [{ name: 'Content-Type', equals: `application/vnd.ipld.dag-${format}` }, { name: 'Content-Length', equals: String((await bytesOf(ctx, fx)).byteLength) }, { name: 'Content-Disposition', contains: `${disposition}; filename="${await root(ctx)}.${format}"` }] }) },
      { name: `GET for application/vnd.ipld.dag-${format} with query filename includes Content-Disposition with custom filename`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}?filename=foobar.${format}`, headers: { Accept: `application/vnd.ipld.dag-${format}` } }), expect: () => ({ headers: [{ name: 'Content-Disposition', contains: `${disposition}; filename="foobar.${format}"` }] }) },
      { name: `GET for application/vnd.ipld.dag-${format} with ?download=true forces Content-Disposition: attachment`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}?filename=foobar.${format}&download=true`, headers: { Accept: `application/vnd.ipld.dag-${format}` } }), expect: () => ({ headers: [{ name: 'Content-Disposition', contains: `attachment; filename="foobar.${format}"` }] }) },
      { name: `Cache control HTTP headers (${format})`, request: async ctx => ({ path: `/ipfs/${await root(ctx)}`, headers: { Accept: `application/vnd.ipld.dag-${format}` } }), expect: async ctx => ({ headers: [{ name: 'Etag', contains: `${await root(ctx)}.dag-${format}` }, { name: 'X-Ipfs-Path', exists: true }, { name: 'X-Ipfs-Roots', exists: true }, { name: 'Cache-Control', contains: PUBLIC_IMMUTABLE }] }) },
      { name: `HEAD ${name} with no explicit format returns HTTP 200`, request: async ctx => ({ method: 'HEAD', path: `/ipfs/${await root(ctx)}` }), expect: () => ({ status: 200, headers: [{ name: 'Content-Type', contains: `application/vnd.ipld.dag-${format}` }, { name: 'Content-Length', exists: true }] }) },
      { name: `HEAD ${name} with an explicit format returns HTTP 200`, request: async ctx => ({ method: 'HEAD', path: `/ipfs/${await root(ctx)}?format=dag-${format}` }), expect: async ctx => ({ status: 200, headers: [{ name: 'Etag', contains: `${await root(ctx)}.dag-${format}` }, { name: 'Content-Type', contains: `application/vnd.ipld.dag-${format}` }, { name: 'Content-Length', exists: true }] }) },
      // The Go test draws a random CID (car.RandomCID); this one is in no fixture.
      { name: `HEAD ${name} with only-if-cached for missing block returns HTTP 412 Precondition Failed`, request: () => ({ method: 'HEAD', path: '/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', headers: { 'Cache-Control': 'only-if-cached' } }), expect: () => ({ status: 412 }) }
    ])
  })
]

export const pathCases: ConformanceCase[] = [...pathRaw, ...pathUnixfs, ...pathCache, ...pathTar, ...pathCors, ...pathDag]
