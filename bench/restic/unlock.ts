/**
 * Unlock time of a key with the scrypt parameters Cairn gives IPFS-hosted repositories
 * (`PUBLIC_STORAGE_SCRYPT`, N=2^17, r=8, p=1): real restic 0.14 (`restic snapshots --no-lock
 * --no-cache`, the whole process), the engine in Node, and the engine in the bench page in
 * Chromium (as the Backups page opens a repository). Ratios are restic's time over ours
 * (1 = as fast as restic). restic's own default key (calibrated on this machine) is timed too, for
 * scale.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { LocalBackend } from '../../src/node/restic/local-backend.js'
import { PUBLIC_STORAGE_SCRYPT, Repository } from '../../src/restic/index.js'
import { median } from '../suite.js'
import type { UnlockRequest } from './page/main.js'

const PASSWORD = 'a long passphrase for the unlock bench'

function stats (ms: number[]): { median: number, min: number, max: number, runs: number[] } {
  const r = (v: number): number => Math.round(v)
  return { median: r(median(ms)), min: r(Math.min(...ms)), max: r(Math.max(...ms)), runs: ms.map(r) }
}

function resticOpenMs (dir: string, env: NodeJS.ProcessEnv): number {
  const t = performance.now()
  const r = spawnSync('restic', ['-r', dir, '--no-cache', '--no-lock', 'snapshots', '--json'], { env: { ...env, RESTIC_PASSWORD: PASSWORD }, stdio: ['ignore', 'ignore', 'pipe'] })
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`restic snapshots failed: ${r.stderr.toString()}`)
  return ms
}

export async function measureUnlock (opts: { root: string, page: Page | undefined, repeats: number, env: NodeJS.ProcessEnv, log: (line: string) => void }): Promise<Record<string, unknown>> {
  const { root, page, repeats, env, log } = opts
  const ours = join(root, 'unlock-cairn')
  await Repository.init(new LocalBackend(ours), { password: PASSWORD, scrypt: PUBLIC_STORAGE_SCRYPT })
  const theirs = join(root, 'unlock-restic')
  execFileSync('restic', ['-r', theirs, 'init'], { env: { ...env, RESTIC_PASSWORD: PASSWORD }, stdio: 'ignore' })
  const keyOf = (dir: string): { name: string, json: { N: number, r: number, p: number } } => {
    const name = readdirSync(join(dir, 'keys'))[0] ?? ''
    return { name, json: JSON.parse(readFileSync(join(dir, 'keys', name), 'utf8')) as { N: number, r: number, p: number } }
  }
  const restic: number[] = []
  const resticDefault: number[] = []
  const node: number[] = []
  const chromium: number[] = []
  for (let i = 0; i < repeats; i++) {
    restic.push(resticOpenMs(ours, env))
    resticDefault.push(resticOpenMs(theirs, env))
    const t = performance.now()
    await Repository.open(new LocalBackend(ours), { password: PASSWORD })
    node.push(performance.now() - t)
  }
  if (page !== undefined) {
    const key = keyOf(ours)
    const req: UnlockRequest = {
      config: readFileSync(join(ours, 'config')).toString('base64'),
      keyName: key.name,
      key: readFileSync(join(ours, 'keys', key.name)).toString('base64'),
      password: PASSWORD,
      repeats
    }
    chromium.push(...await page.evaluate(async (q) => await (globalThis as unknown as { resticBench: { unlock: (q: UnlockRequest) => Promise<number[]> } }).resticBench.unlock(q), req))
  }
  const ratio = (ms: number[]): ReturnType<typeof stats> | undefined => {
    if (ms.length === 0) return undefined
    const runs = ms.map((v, i) => +((restic[i] ?? 0) / v).toFixed(2))
    return { median: +(median(restic) / median(ms)).toFixed(2), min: Math.min(...runs), max: Math.max(...runs), runs }
  }
  const { N, r, p } = keyOf(theirs).json
  const out = {
    note: 'ms to open a repository with an N=2^17, r=8, p=1 key; ratio = restic time / our time (1 = as fast as restic). restic: the whole `snapshots` process.',
    scrypt: PUBLIC_STORAGE_SCRYPT,
    resticMs: stats(restic),
    resticDefaultKey: { scrypt: { N, r, p }, ms: stats(resticDefault) },
    nodeMs: stats(node),
    nodeRatio: ratio(node),
    ...(chromium.length > 0 ? { chromiumMs: stats(chromium), chromiumRatio: ratio(chromium) } : {})
  }
  log(`restic bench unlock: ${JSON.stringify(out)}`)
  return out
}
