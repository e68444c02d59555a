/**
 * Release identity for a build: the `unixfs-v1-2025` CID of dist/ (what `ipfs add -r
 * --profile=unixfs-v1-2025 dist` gives) and a CAR of it, so the exact build can be pinned anywhere
 * and opened from any gateway at /ipfs/<cid>/.
 *
 *   tsx scripts/release-cid.ts [--dist dist] [--out dist.car] [--json]
 *
 * The CAR is written next to dist/, not inside it (that would change the CID).
 */
import '../src/node/polyfill-node20.js'
import { createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { pathToFileURL } from 'node:url'
import { MemoryBlockstore } from 'blockstore-core'
import { addAll } from '../src/ipfs/add/index.js'
import { exportCar } from '../src/ipfs/car/index.js'
import { fileSource } from '../src/node/files/source.js'
import type { CID } from 'multiformats/cid'

export const RELEASE_PROFILE = 'unixfs-v1-2025'

export interface ReleaseResult {
  cid: CID
  /** Bytes of the DAG (as its root link's Tsize). */
  dagSize: bigint
  car: string
  carBytes: number
  blocks: number
}

/** Adds `distDir` under the release profile and writes the CAR to `carPath`. */
export async function releaseCid (distDir: string, carPath: string, options: { signal?: AbortSignal } = {}): Promise<ReleaseResult> {
  const dir = resolve(distDir)
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new Error(`${distDir} is not a directory: run \`vite build\` first.`)
  }
  const store = new MemoryBlockstore()
  const roots = await addAll(store, fileSource(dir, process.cwd(), { signal: options.signal }), { profile: RELEASE_PROFILE, signal: options.signal })
  const root = roots.find(r => r.path === basename(dir))
  if (root === undefined) throw new Error(`Adding ${distDir} gave no root directory.`)
  let blocks = 0
  let carBytes = 0
  const car = resolve(carPath)
  await pipeline(
    Readable.from((async function * () {
      for await (const chunk of exportCar(store, root.cid, { signal: options.signal, onProgress: () => { blocks++ } })) {
        carBytes += chunk.byteLength
        yield chunk
      }
    })()),
    createWriteStream(car)
  )
  return { cid: root.cid, dagSize: root.size, car, carBytes, blocks }
}

function argValue (args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  // CAIRN_DIST: where `npm run build` put the app (the bench builds into its own folder).
  const dist = argValue(args, '--dist') ?? process.env.CAIRN_DIST ?? 'dist'
  const out = argValue(args, '--out') ?? `${dist.replace(/\/+$/, '')}.car`
  const r = await releaseCid(dist, out)
  if (args.includes('--json')) {
    console.log(JSON.stringify({ cid: r.cid.toString(), profile: RELEASE_PROFILE, dagSize: r.dagSize.toString(), car: r.car, carBytes: r.carBytes, blocks: r.blocks }))
  } else {
    console.log(`Release CID of ${dist}/ (${RELEASE_PROFILE}): ${r.cid.toString()}`)
    console.log(`Wrote ${out}: ${r.blocks} blocks, ${r.carBytes} bytes. Pin it with \`ipfs dag import ${out}\`; open /ipfs/${r.cid.toString()}/ on any gateway.`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`release-cid: ${(err as Error).message}`)
    process.exitCode = 1
  })
}
