/**
 * restic 0.14's backup exclusions on the local file system: patterns (`--exclude`, `--iexclude`
 * and their files), tag files (`--exclude-if-present`, `--exclude-caches`) and `--one-file-system`.
 * Each item is judged by its absolute path, as restic does; an excluded directory is not entered.
 */
import { lstat, open, readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { InvalidInputError } from '../../core/errors.js'
import { excludeMatcher, parseExcludeFile } from '../../restic/filter/pattern.js'
import type { SourceEntry } from '../../restic/archiver/source.js'

/** CACHEDIR.TAG's standard signature (https://bford.info/cachedir/), as `--exclude-caches` uses it. */
export const CACHEDIR_TAG = 'CACHEDIR.TAG:Signature: 8a477f597d28d172789f06886806bc55'

export interface ExcludeFlags {
  exclude?: string[] | undefined
  iexclude?: string[] | undefined
  excludeFile?: string[] | undefined
  iexcludeFile?: string[] | undefined
  excludeCaches?: boolean | undefined
  excludeIfPresent?: string[] | undefined
  oneFileSystem?: boolean | undefined
}

/**
 * Judges one item, as restic does: first by its absolute path (before it is even looked at), then
 * with its metadata. True: leave it out.
 */
export interface Reject {
  byName?: ((absPath: string) => Promise<boolean>) | undefined
  byInfo?: ((absPath: string, entry: SourceEntry) => Promise<boolean>) | undefined
}

async function readPatternFiles (files: string[], cwd: string, env: Record<string, string | undefined>): Promise<string[]> {
  const out: string[] = []
  for (const f of files) {
    const text = await readFile(resolve(cwd, f), 'utf8').catch((err: unknown) => {
      throw new InvalidInputError(`cannot read the exclude file ${f}: ${(err as Error).message}. Check the path given to --exclude-file/--iexclude-file.`)
    })
    out.push(...parseExcludeFile(text, env))
  }
  return out
}

/** `name[:header]`: items in a directory holding `name` (starting with `header`) are left out, the tag file itself kept. */
function ifPresent (spec: string, warn: (msg: string) => void): (absPath: string) => Promise<boolean> {
  const colon = spec.indexOf(':')
  if (spec === '' || colon === 0) throw new InvalidInputError(`--exclude-if-present "${spec}" has no file name: use name or name:header.`)
  const name = colon > 0 ? spec.slice(0, colon) : spec
  const header = colon > 0 ? Buffer.from(spec.slice(colon + 1)) : Buffer.alloc(0)
  const dirs = new Map<string, Promise<boolean>>()
  const judge = async (dir: string): Promise<boolean> => {
    const tag = resolve(dir, name)
    try { await lstat(tag) } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') warn(`could not access exclusion tagfile: ${(err as Error).message}`)
      return false
    }
    if (header.length === 0) return true
    try {
      const fh = await open(tag, 'r')
      try {
        const buf = Buffer.alloc(header.length)
        const { bytesRead } = await fh.read(buf, 0, header.length, 0)
        if (bytesRead < header.length) { warn(`invalid (too short) signature in exclusion tagfile "${tag}"`); return false }
        if (!buf.equals(header)) { warn(`invalid signature in exclusion tagfile "${tag}"`); return false }
        return true
      } finally { await fh.close() }
    } catch (err) {
      warn(`could not read signature from exclusion tagfile "${tag}": ${(err as Error).message}`)
      return false
    }
  }
  return async (absPath) => {
    const dir = dirname(absPath)
    if (absPath.slice(dir.length).replace(/^\//, '') === name) return false
    let p = dirs.get(dir)
    if (p === undefined) { p = judge(dir); dirs.set(dir, p) }
    return await p
  }
}

/**
 * `--one-file-system`: an item on another device than the target it lies under is left out,
 * except a directory whose parent is on the target's device (a mount point, kept empty).
 */
async function sameFileSystem (targets: string[], cwd: string): Promise<(absPath: string, e: SourceEntry) => Promise<boolean>> {
  const devices = new Map<string, number>()
  for (const t of targets) {
    const abs = resolve(cwd, t)
    devices.set(abs, Number((await lstat(abs, { bigint: true })).dev))
  }
  const allowed = (path: string, dev: number): boolean => {
    for (let dir = path; ; dir = dirname(dir)) {
      const d = devices.get(dir)
      if (d !== undefined) return d === dev
      if (dirname(dir) === dir) return false
    }
  }
  return async (absPath, e) => {
    const dev = e.deviceId ?? 0
    if (allowed(absPath, dev)) return false
    if (e.type !== 'dir') return true
    const parent = dirname(absPath)
    try {
      return !allowed(parent, Number((await lstat(parent, { bigint: true })).dev))
    } catch { return true }
  }
}

/** Builds the exclusion for a backup of `targets`; undefined when no flag asks for one. */
export async function buildReject (flags: ExcludeFlags, targets: string[], cwd: string, env: Record<string, string | undefined>, warn: (msg: string) => void): Promise<Reject | undefined> {
  const byName: Array<(p: string) => boolean | Promise<boolean>> = []
  const excludes = [...flags.exclude ?? [], ...await readPatternFiles(flags.excludeFile ?? [], cwd, env)]
  const iexcludes = [...flags.iexclude ?? [], ...await readPatternFiles(flags.iexcludeFile ?? [], cwd, env)]
  if (iexcludes.length > 0) byName.push(excludeMatcher(iexcludes, true, 'iexclude'))
  if (excludes.length > 0) byName.push(excludeMatcher(excludes, false, 'exclude'))
  const specs = [...flags.excludeIfPresent ?? [], ...flags.excludeCaches === true ? [CACHEDIR_TAG] : []]
  for (const s of specs) byName.push(ifPresent(s, warn))
  const byDevice = flags.oneFileSystem === true ? await sameFileSystem(targets, cwd) : undefined
  if (byName.length === 0 && byDevice === undefined) return undefined
  return {
    byName: byName.length === 0
      ? undefined
      : async (absPath) => {
        for (const f of byName) if (await f(absPath)) return true
        return false
      },
    byInfo: byDevice
  }
}
