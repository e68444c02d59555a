/** Interop helpers: locate real restic, run it, and build deterministic source trees. */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'

/** Path of the restic binary, or undefined. */
export function findRestic (): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v restic'], { encoding: 'utf8' })
  const p = r.stdout.trim()
  return r.status === 0 && p !== '' ? p : undefined
}

export const SKIP = process.env.CAIRN_SKIP_INTEROP === '1'
export const RESTIC = findRestic()

/** Fails loudly when restic is missing (CI installs it), unless CAIRN_SKIP_INTEROP=1. */
export function requireRestic (): string {
  if (RESTIC === undefined) throw new Error('restic is not on PATH: the restic interop tests need the real restic 0.14+ binary (apt-get install restic). Set CAIRN_SKIP_INTEROP=1 to skip them.')
  return RESTIC
}

export const PASSWORD = 'interop password ✓'

export function restic (args: string[], options: { repo: string, cwd?: string, allowFail?: boolean } ): { status: number, stdout: string, stderr: string } {
  const bin = requireRestic()
  const r = spawnSync(bin, ['-r', options.repo, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    env: { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(tmpdir(), 'cairn-restic-cache'), TZ: 'UTC' },
    maxBuffer: 64 * 1024 * 1024
  })
  const out = { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
  if (options.allowFail !== true && out.status !== 0) throw new Error(`restic ${args.join(' ')} exited ${out.status}:\n${out.stderr}\n${out.stdout}`)
  return out
}

/** Like `restic()`, but without blocking the event loop (needed when the server runs in this process). */
export async function resticAsync (args: string[], options: { repo: string }): Promise<{ stdout: string, stderr: string }> {
  const bin = requireRestic()
  return await new Promise((resolve, reject) => {
    execFile(bin, ['-r', options.repo, ...args], {
      encoding: 'utf8',
      env: { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(tmpdir(), 'cairn-restic-cache'), TZ: 'UTC' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000
    }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`restic ${args.join(' ')} failed: ${err.message}\n${stderr}\n${stdout}`))
      else resolve({ stdout, stderr })
    })
  })
}

export function tempDir (prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cairn-${prefix}-`))
}

/** Deterministic pseudo-random bytes (AES-CTR keystream of a seed). */
export function prng (seed: string, n: number): Uint8Array {
  const key = createHash('sha256').update(seed).digest()
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return new Uint8Array(c.update(Buffer.alloc(n)))
}

/** Deterministic compressible text. */
export function text (seed: string, n: number): Uint8Array {
  const words = ['restic', 'cairn', 'backup', 'chunk', 'blob', 'pack', 'index', 'tree', 'snapshot', 'the', 'of', 'and', 'a', 'to', 'in']
  const r = prng(seed, n)
  let s = ''
  for (let i = 0; s.length < n; i++) s += (words[(r[i % n] as number) % words.length] as string) + ((r[(i * 7) % n] as number) % 13 === 0 ? '.\n' : ' ')
  return new TextEncoder().encode(s.slice(0, n))
}

/** Build the interop source tree; returns its absolute path. About 30 MiB. */
export function makeSourceTree (root: string): string {
  const src = join(root, 'src')
  const w = (rel: string, data: Uint8Array | string, mode = 0o644): void => {
    const p = join(src, rel)
    mkdirSync(join(p, '..'), { recursive: true })
    writeFileSync(p, data)
    chmodSync(p, mode)
  }
  w('big/random-20m.bin', prng('big', 20 * 1024 * 1024))
  w('big/text-6m.txt', text('text', 6 * 1024 * 1024))
  w('big/exactly-min.bin', prng('min', 512 * 1024))
  w('empty.txt', '')
  w('hello.txt', 'Hello, restic!\n')
  w('exec.sh', '#!/bin/sh\necho hi\n', 0o755)
  w('nested/a/b/c/deep.txt', 'deep\n')
  w('nested/sibling.txt', 'sibling\n')
  w('ünïcødé-名前.txt', 'unicode name\n')
  w('quote"and\\backslash.txt', 'odd name\n')
  w('tab\tand\nnewline.txt', 'control chars\n')
  w('zero-width\u200bspace.txt', 'format char\n')
  w('<html>&amp;.txt', 'html chars\n')
  w('dup-a.bin', prng('dup', 700 * 1024))
  w('dup-b.bin', prng('dup', 700 * 1024))
  mkdirSync(join(src, 'empty-dir'))
  symlinkSync('hello.txt', join(src, 'link-to-hello'))
  linkSync(join(src, 'nested', 'sibling.txt'), join(src, 'hardlink-to-sibling.txt'))
  symlinkSync('/nonexistent/target', join(src, 'dangling'))
  // Fixed mtimes so restores can be compared.
  execFileSync('sh', ['-c', `find '${src}' -exec touch -h -d '2024-03-04 05:06:07.123456789' {} +`])
  utimesSync(join(src, 'hello.txt'), new Date('2023-01-02T03:04:05Z'), new Date('2023-01-02T03:04:05Z'))
  return src
}

/**
 * Every entry below `dir`: type, mode, size, mtime, content hash or link target. mtimes are compared
 * in whole milliseconds: Node's utimes() takes float seconds, so Cairn's restore keeps only ~µs precision.
 */
export function snapshotOf (dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const visit = (p: string): void => {
    for (const name of readdirSync(p)) {
      const full = join(p, name)
      const st = lstatSync(full)
      const rel = relative(dir, full)
      if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(full)}`
      else if (st.isDirectory()) { out[rel] = `dir ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs)}`; visit(full) }
      else out[rel] = `file ${(st.mode & 0o7777).toString(8)} links=${st.nlink} ${st.size} ${Math.floor(st.mtimeMs)} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`
    }
  }
  visit(dir)
  return out
}

