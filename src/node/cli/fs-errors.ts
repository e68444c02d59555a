/**
 * One line for a failed file-system call, instead of a stack trace: what could not be done to
 * which path, and what to do. Any error (or cause) from node:fs carries `code`, `syscall`, `path`.
 */

interface ErrnoLike { code: string, syscall?: string, path?: string, dest?: string }

const REASONS: Record<string, [string, string]> = {
  EACCES: ['permission denied', 'Choose a location you may use, or change its permissions.'],
  EPERM: ['the operation is not permitted there', 'Choose another location.'],
  EROFS: ['the file system is read-only', 'Choose a location on a writable file system.'],
  ENOENT: ['no such file or folder', 'Check the path: the folder it is in must exist, and be an ordinary folder.'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'Check the path.'],
  EISDIR: ['it is a folder', 'Give the path of a file.'],
  EEXIST: ['it exists already', 'Choose another name, or remove it first.'],
  ENOTEMPTY: ['the folder is not empty', 'Choose an empty folder.'],
  ENOSPC: ['no space is left on the device', 'Free some space, or choose another location.'],
  EDQUOT: ['the disk quota is used up', 'Free some space, or choose another location.'],
  ENAMETOOLONG: ['the name is too long', 'Choose a shorter path.'],
  ELOOP: ['too many symbolic links in the path', 'Check the path.'],
  EMFILE: ['too many files are open', 'Raise the open-file limit (ulimit -n) and try again.'],
  EBUSY: ['it is busy', 'Try again once nothing else uses it.']
}

const VERBS: Record<string, string> = {
  open: 'open', mkdir: 'create the folder', rmdir: 'remove the folder', unlink: 'remove', rename: 'rename',
  scandir: 'list the folder', stat: 'read', lstat: 'read', read: 'read', write: 'write', readlink: 'read the link',
  copyfile: 'copy', chmod: 'change the mode of', utime: 'set the times of', symlink: 'create the link', access: 'use'
}

function errnoIn (err: unknown): ErrnoLike | undefined {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as Partial<ErrnoLike>
    if (typeof x.code === 'string' && /^E[A-Z]+$/.test(x.code) && typeof x.syscall === 'string') return x as ErrnoLike
  }
  return undefined
}

/** The message for a file-system failure inside `err`, or `undefined` when there is none. */
export function describeFsError (err: unknown): string | undefined {
  const e = errnoIn(err)
  if (e === undefined) return undefined
  const [reason, advice] = REASONS[e.code] ?? [e.code, 'Check the path and its permissions.']
  const verb = VERBS[e.syscall ?? ''] ?? e.syscall ?? 'use'
  const where = e.path === undefined ? '' : ` ${e.path}`
  return `cannot ${verb}${where}: ${reason} (${e.code}). ${advice}`
}
