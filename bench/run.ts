import '../src/node/polyfill-node20.js'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import os from 'node:os'
import type { BenchSuite } from './suite.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** `npm run bench [-- --quick] [-- suite...]`: prints JSON and writes bench-results/bench.json. */
export async function main (argv: string[]): Promise<number> {
  const quick = argv.includes('--quick')
  const only = argv.filter(a => !a.startsWith('--'))
  const dirs = (await readdir(join(ROOT, 'bench'), { withFileTypes: true }))
    .filter(d => d.isDirectory() && existsSync(join(ROOT, 'bench', d.name, 'suite.ts')))
    .map(d => d.name)
    .filter(n => only.length === 0 || only.includes(n))
    .sort()
  const results: Record<string, unknown> = {}
  const log = (line: string): void => { process.stderr.write(line + '\n') }
  for (const dir of dirs) {
    const suite = (await import(join(ROOT, 'bench', dir, 'suite.ts')) as { default: BenchSuite }).default
    log(`bench: ${suite.name}…`)
    const started = Date.now()
    try {
      results[suite.name] = await suite.run({ root: ROOT, quick, log })
    } catch (err) {
      results[suite.name] = { error: (err as Error).stack ?? String(err) }
    }
    log(`bench: ${suite.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node },
    quick,
    results
  }
  const json = JSON.stringify(report, null, 2)
  await mkdir(join(ROOT, 'bench-results'), { recursive: true })
  await writeFile(join(ROOT, 'bench-results', 'bench.json'), json + '\n')
  process.stdout.write(json + '\n')
  return Object.values(results).some(r => (r as { error?: unknown }).error !== undefined) ? 1 : 0
}
