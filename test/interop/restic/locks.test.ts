/**
 * Issue #12 items 5, 6 and 10 against real restic 0.14: cairn's locks carry the real host, user
 * and pid, so restic leaves a running cairn backup's lock alone; a lock lost under a backup fails
 * it without a snapshot; locks of dead processes on this host are stale for both tools; temporary
 * files of a killed backup are removed by the next write.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, rmSync, watch, writeFileSync, mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { main } from '../../../src/node/cli/main.js'
import { Repository } from '../../../src/restic/index.js'
import { captureIO } from '../../helpers/cli-io.js'
import { PASSWORD, SKIP, prng, requireRestic, restic, tempDir } from './helpers.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const FAST = { N: 1024, r: 8, p: 1 }

async function setup (prefix: string, sourceMiB: number): Promise<{ dir: string, repo: string, pw: string, src: string }> {
  const dir = tempDir(prefix)
  const repo = join(dir, 'repo')
  await Repository.init(new LocalBackend(repo), { password: PASSWORD, scrypt: FAST })
  const pw = join(dir, 'pw')
  writeFileSync(pw, PASSWORD)
  const src = join(dir, 'src')
  mkdirSync(src)
  for (let i = 0; i < sourceMiB / 8; i++) writeFileSync(join(src, `f${i}.bin`), prng(`${prefix}-${i}`, 8 << 20))
  return { dir, repo, pw, src }
}

function cairnBackup (repo: string, pw: string, src: string): ChildProcess & { done: Promise<{ code: number | null, signal: string | null, stderr: string }> } {
  const child = spawn(process.execPath, ['bin/cairn.mjs', 'restic', 'backup', '-r', repo, '-p', pw, src], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdout.resume()
  const done = new Promise<{ code: number | null, signal: string | null, stderr: string }>(resolve => { child.on('exit', (code, signal) => { resolve({ code, signal, stderr }) }) })
  return Object.assign(child, { done })
}

const locks = (repo: string): string[] => readdirSync(join(repo, 'locks')).filter(n => /^[0-9a-f]{64}$/.test(n))
const temps = (repo: string): string[] => readdirSync(join(repo, 'data')).flatMap(d => readdirSync(join(repo, 'data', d)).filter(n => n.startsWith('.tmp-')).map(n => `data/${d}/${n}`))

async function until (what: string, f: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** A lock file as `who` would write it (the repository key seals it). */
async function writeLock (repo: string, pid: number, host = hostname()): Promise<string> {
  const r = await Repository.open(new LocalBackend(repo), { password: PASSWORD })
  return await r.saveUnpacked('locks', JSON.stringify({ time: new Date().toISOString(), exclusive: false, hostname: host, username: 'someone', pid }))
}

describe.skipIf(SKIP)('repository locks with real restic 0.14', () => {
  it('restic unlock leaves a running cairn backup\'s lock alone; a lock deleted underneath fails the backup, with no snapshot', async () => {
    requireRestic()
    const { repo, pw, src } = await setup('lock-live', 48)
    const child = cairnBackup(repo, pw, src)
    await until('the backup\'s lock', () => locks(repo).length > 0)
    // Pause the backup while it holds its lock (it sleeps 200 ms after writing it, then backs up 48 MiB).
    child.kill('SIGSTOP')
    const [lockId] = locks(repo)
    const cat = restic(['cat', 'lock', lockId as string, '--no-lock'], { repo })
    const unlock = restic(['unlock'], { repo })
    console.log(`restic unlock while the cairn backup (pid ${child.pid ?? ''}) holds lock ${lockId?.slice(0, 8) ?? ''}:\n${cat.stdout}${unlock.stdout}${unlock.stderr}locks left: ${locks(repo).length}`)
    expect(locks(repo)).toEqual([lockId])
    const lock = JSON.parse(cat.stdout) as { hostname: string, pid: number, username: string }
    expect(lock.pid).toBe(child.pid)
    expect(lock.hostname).toBe(hostname())
    // Now take the lock away under the paused backup (as `restic unlock --remove-all` would).
    rmSync(join(repo, 'locks', lockId as string), { force: true })
    child.kill('SIGCONT')
    const end = await child.done
    expect(end.signal).toBeNull() // restic's SIGHUP (its liveness probe) did not kill it
    expect(end.code).toBe(1)
    expect(end.stderr).toMatch(/lock .* was lost while this operation ran/)
    expect(readdirSync(join(repo, 'snapshots'))).toEqual([])
    expect(locks(repo)).toEqual([])
    restic(['check'], { repo })
  }, 180_000)

  it('cairn restic unlock removes a lock of a dead process on this host and keeps one of a live process', async () => {
    const { repo, pw } = await setup('lock-pids', 0)
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid
    const sleeper = spawn('sleep', ['60'])
    try {
      const deadLock = await writeLock(repo, dead)
      const liveLock = await writeLock(repo, sleeper.pid as number)
      const otherHost = await writeLock(repo, dead, 'another-machine')
      const io = captureIO({ cwd: ROOT })
      expect(await main(['restic', 'unlock', '-r', repo, '-p', pw], io)).toBe(0)
      expect(io.stdout).toBe('removed 1 lock(s)\n')
      expect(locks(repo).sort()).toEqual([liveLock, otherHost].sort())
      expect(locks(repo)).not.toContain(deadLock)
    } finally {
      sleeper.kill()
    }
  })

  it('a lock of real restic killed with SIGKILL is removed by cairn restic unlock', async () => {
    const bin = requireRestic()
    const { repo, pw } = await setup('lock-restic-killed', 0)
    // restic backs up stdin, which never ends: it holds its lock until killed.
    const r = spawn(bin, ['-r', repo, 'backup', '--stdin', '-q'], { env: { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(tempDir('cache'), 'c') }, stdio: ['pipe', 'ignore', 'ignore'] })
    await until('restic\'s lock', () => locks(repo).length > 0)
    r.kill('SIGKILL')
    await new Promise(resolve => r.on('exit', resolve))
    expect(locks(repo)).toHaveLength(1)
    const io = captureIO({ cwd: ROOT })
    expect(await main(['restic', 'unlock', '-r', repo, '-p', pw], io)).toBe(0)
    expect(io.stdout).toBe('removed 1 lock(s)\n')
    expect(locks(repo)).toEqual([])
  }, 60_000)

  it('a cairn backup killed mid-pack: restic unlock removes its lock, the next backup removes its temporary pack, restic check passes', async () => {
    const { repo, pw, src } = await setup('lock-cairn-killed', 40)
    let leftover: string[] = []
    for (let attempt = 1; attempt <= 4 && leftover.length === 0; attempt++) {
      const child = cairnBackup(repo, pw, src)
      // Kill it as soon as a temporary pack file appears (a 16 MiB pack is written, flushed, then renamed).
      const watcher = watch(join(repo, 'data'), { recursive: true }, (_event, name) => {
        if (name?.includes('.tmp-') === true) child.kill('SIGKILL')
      })
      const end = await child.done
      watcher.close()
      expect(end.signal === 'SIGKILL' || end.code === 0).toBe(true)
      leftover = temps(repo)
      if (end.code === 0) { rmSync(join(repo, 'snapshots'), { recursive: true, force: true, maxRetries: 5 }); mkdirSync(join(repo, 'snapshots')) }
    }
    expect(leftover.length).toBeGreaterThan(0)
    expect(locks(repo)).toHaveLength(1)
    const unlock = restic(['unlock'], { repo })
    console.log(`restic unlock after the cairn backup was killed:\n${unlock.stdout}${unlock.stderr}`)
    expect(locks(repo)).toEqual([])
    const next = cairnBackup(repo, pw, src)
    expect((await next.done).code).toBe(0)
    expect(temps(repo)).toEqual([])
    for (const t of leftover) expect(existsSync(join(repo, t))).toBe(false)
    restic(['check', '--read-data'], { repo })
  }, 240_000)
})
