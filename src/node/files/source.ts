/**
 * Turn paths on disk into `AddEntry`s, the way `ipfs add -r` walks them: a file becomes one entry
 * named by its base name; a directory becomes an entry per file, sub-directory and symlink under
 * it, named `<dir>/…`. As in Kubo, names starting with "." are skipped unless `hidden` is set,
 * and symlinks are stored as symlinks, never followed. Files are streamed, never read whole.
 */
import { createReadStream } from 'node:fs'
import { access, constants, lstat, readdir, readlink } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { UnreadableFileError, UnsupportedFileTypeError } from './errors.js'
import type { AddEntry } from '../../ipfs/add/index.js'
import type { Stats } from 'node:fs'

export interface FileSourceOptions {
  /** Include names starting with "." (Kubo's `--hidden`). */
  hidden?: boolean
  signal?: AbortSignal | undefined
}

const READ_CHUNK = 1 << 20

function explain (err: unknown, path: string): UnreadableFileError {
  const code = (err as { code?: string }).code
  const what = code === 'ENOENT'
    ? `"${path}" does not exist. Check the spelling, or the directory you run cairn from.`
    : code === 'EACCES' || code === 'EPERM'
      ? `Cannot read "${path}": permission denied. Give yourself read access (e.g. chmod u+r "${path}") or leave it out.`
      : code === 'ELOOP'
        ? `Cannot read "${path}": too many levels of symbolic links.`
        : `Cannot read "${path}": ${(err as Error).message}. Check that it is a readable file or directory.`
  return new UnreadableFileError(what, { path, cause: err })
}

/** Stream a file's bytes; a failure part-way names the file. */
async function * fileContent (path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK, signal })) {
      yield chunk as Uint8Array
    }
  } catch (err) {
    if ((err as { name?: string }).name === 'AbortError') throw err
    throw explain(err, path)
  }
}

async function checkReadable (path: string, mode: number): Promise<void> {
  try {
    await access(path, mode)
  } catch (err) {
    throw explain(err, path)
  }
}

async function * walk (abs: string, name: string, info: Stats, options: FileSourceOptions): AsyncGenerator<AddEntry> {
  options.signal?.throwIfAborted()
  if (info.isSymbolicLink()) {
    yield { path: name, link: await readlink(abs) }
  } else if (info.isFile()) {
    await checkReadable(abs, constants.R_OK)
    yield { path: name, content: fileContent(abs, options.signal) }
  } else if (info.isDirectory()) {
    await checkReadable(abs, constants.R_OK | constants.X_OK)
    yield { path: name }
    let children: string[]
    try {
      children = (await readdir(abs)).sort()
    } catch (err) {
      throw explain(err, abs)
    }
    for (const child of children) {
      if (options.hidden !== true && child.startsWith('.')) continue
      const childAbs = join(abs, child)
      let childInfo: Stats
      try {
        childInfo = await lstat(childAbs)
      } catch (err) {
        throw explain(err, childAbs)
      }
      yield * walk(childAbs, `${name}/${child}`, childInfo, options)
    }
  } else {
    throw new UnsupportedFileTypeError(`"${abs}" is a socket, pipe or device, which cannot be added. Leave it out.`)
  }
}

/**
 * Entries for one path given on the command line (relative to `cwd`). A symlink, even the path
 * itself, is stored as a symlink and not followed: Kubo's default (it dereferences only with
 * `--dereference-args` / `--dereference-symlinks`).
 */
export async function * fileSource (path: string, cwd: string, options: FileSourceOptions = {}): AsyncGenerator<AddEntry> {
  const abs = resolve(cwd, path)
  let info: Stats
  try {
    info = await lstat(abs)
  } catch (err) {
    throw explain(err, path)
  }
  yield * walk(abs, basename(abs), info, options)
}
