/**
 * restic's `--files-from` (one pattern per line, `#` comments, expanded like Go's filepath.Glob),
 * `--files-from-verbatim` (one path per line, as written) and `--files-from-raw` (NUL-separated).
 */
import { lstat, readFile, readdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { InvalidInputError } from '../../core/errors.js'
import { componentRegExp } from '../../restic/filter/pattern.js'

export interface TargetLists {
  filesFrom?: string[] | undefined
  verbatim?: string[] | undefined
  raw?: string[] | undefined
}

async function read (file: string, cwd: string, flagName: string): Promise<Buffer> {
  if (file === '-') throw new InvalidInputError(`--${flagName} - (standard input) is not supported: write the list to a file and give its path.`)
  return await readFile(resolve(cwd, file)).catch((err: unknown) => {
    throw new InvalidInputError(`cannot read --${flagName} ${file}: ${(err as Error).message}`)
  })
}

function lines (buf: Buffer): string[] {
  const text = buf.toString('utf8').replace(/^\uFEFF/, '')
  const out = text.split('\n').map(l => l.replace(/\r$/, ''))
  if (out[out.length - 1] === '') out.pop()
  return out
}

const META = /[*?[\\]/

async function exists (p: string, cwd: string): Promise<boolean> {
  try { await lstat(resolve(cwd, p)); return true } catch { return false }
}

/** Go's `filepath.Glob`: wildcards in any component; names sorted per directory; no match is `[]`. */
export async function glob (pattern: string, cwd: string): Promise<string[]> {
  if (!META.test(pattern)) return await exists(pattern, cwd) ? [pattern] : []
  const slash = pattern.lastIndexOf('/')
  const dir = slash < 0 ? '' : pattern.slice(0, slash)
  const file = pattern.slice(slash + 1)
  const re = componentRegExp(file)
  if (re === null) throw new InvalidInputError(`--files-from: invalid pattern "${pattern}" (filepath.Match syntax: *, ?, [a-z], \\x).`)
  const dirs = dir === '' ? [''] : slash === 0 ? ['/'] : META.test(dir) ? await glob(dir, cwd) : [dir]
  const out: string[] = []
  for (const d of dirs) {
    let names: string[]
    try { names = (await readdir(resolve(cwd, d === '' ? '.' : d))).sort() } catch { continue }
    for (const n of names) if (re.test(n)) out.push(d === '' ? n : d === '/' ? '/' + n : `${d}/${n}`)
  }
  return out
}

/** The targets the lists name, in restic's order: files-from, then verbatim, then raw. */
export async function readTargetLists (lists: TargetLists, cwd: string, warn: (msg: string) => void): Promise<string[]> {
  const targets: string[] = []
  for (const f of lists.filesFrom ?? []) {
    for (const raw of lines(await read(f, cwd, 'files-from'))) {
      const line = raw.trim()
      if (line === '' || line.startsWith('#')) continue
      const found = await glob(line, cwd)
      if (found.length === 0) warn(`pattern "${line}" does not match any files, skipping`)
      targets.push(...found)
    }
  }
  for (const f of lists.verbatim ?? []) {
    for (const line of lines(await read(f, cwd, 'files-from-verbatim'))) if (line !== '') targets.push(line)
  }
  for (const f of lists.raw ?? []) {
    const buf = await read(f, cwd, 'files-from-raw')
    if (buf.length === 0) continue
    if (buf[buf.length - 1] !== 0) throw new InvalidInputError(`--files-from-raw ${f}: trailing zero byte missing; each name must end with a NUL byte (find -print0).`)
    for (const name of buf.subarray(0, buf.length - 1).toString('utf8').split('\0')) {
      if (name === '') throw new InvalidInputError(`--files-from-raw ${f}: empty file name in the listing; remove the doubled NUL byte.`)
      targets.push(name)
    }
  }
  return targets
}
