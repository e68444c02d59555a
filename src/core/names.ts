/**
 * The one rule for turning a name from a repository or a DAG (a restic tree node, a UnixFS
 * directory entry) into a path segment, a link or an archive entry. It is restic's rule for tree
 * nodes ("invalid child node name": empty, ".", "..", or holding a path separator), plus NUL, which
 * no file system accepts in a name. `backslash: true` also refuses "\", which is a separator on
 * Windows and for many zip and tar extractors; POSIX file systems take it as an ordinary character
 * (restic restores such names on Linux, and so does `cairn restic restore` there).
 */
import { hasRawBytes } from './raw-names.js'

export interface NameRuleOptions {
  /** Refuse "\" too (archive entries, browser folders, Windows paths). @default false */
  backslash?: boolean | undefined
}

/** Why `name` cannot be one path segment, or undefined when it can. */
export function unsafeNameReason (name: string, options: NameRuleOptions = {}): string | undefined {
  if (name === '') return 'the name is empty'
  if (name === '.' || name === '..') return `"${name}" names a directory, not an entry in it`
  if (name.includes('/')) return 'the name holds a path separator "/"'
  if (name.includes('\0')) return 'the name holds a NUL character'
  if (options.backslash === true && name.includes('\\')) return 'the name holds a "\\", a path separator on Windows and in archives'
  return undefined
}

export function isSafeName (name: string, options: NameRuleOptions = {}): boolean {
  return unsafeNameReason(name, options) === undefined
}

/**
 * A name as shown in messages: quoted when it would read as something else. Bytes of a name that
 * is not UTF-8 (escaped by `rawNameSegment`, core/raw-names.ts) are shown as `\xNN`, as restic does.
 */
export function showName (name: string): string {
  if (hasRawBytes(name)) {
    return '"' + [...name].map(c => {
      const code = c.charCodeAt(0)
      if (c.length === 1 && code >= 0xdc80 && code <= 0xdcff) return '\\x' + (code - 0xdc00).toString(16).padStart(2, '0')
      return JSON.stringify(c).slice(1, -1)
    }).join('') + '"'
  }
  const plain = name !== '' && name !== '.' && name !== '..' && ![...name].some(c => c < ' ' || c === '\x7f' || c === '"' || c === '\\' || c === '/')
  return plain ? name : JSON.stringify(name)
}

/**
 * A name from a repository or a DAG made fit to suggest for a download: separators ("/", "\")
 * and control characters become "_", and a name that is still no single segment ("", ".", "..")
 * becomes `fallback`. Browsers clean download names too; this does not rely on them.
 */
export function downloadName (name: string, fallback = 'download'): string {
  const cleaned = [...name].map(c => c === '/' || c === '\\' || c < ' ' || c === '\x7f' ? '_' : c).join('')
  return isSafeName(cleaned, { backslash: true }) ? cleaned : fallback
}
