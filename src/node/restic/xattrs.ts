/**
 * Extended attributes as restic 0.14 backs them up and restores them (node.go, node_xattr.go):
 * every node but a symbolic link gets its attributes in the order the kernel lists them; an
 * attribute that cannot be read is left out with "can not obtain extended attribute X for P:";
 * ENOTSUP and ENOATTR mean "none" (backup) and "nothing done" (restore). FsSink sets them before
 * the mode, not after it as restic does, so a read-only file keeps its user.* attributes.
 *
 * Node has no API for them: @napi-rs/xattr (prebuilt, never follows symbolic links) is loaded on
 * first use. Where it cannot load, backups and restores go on without attributes, with one warning.
 * It takes text paths only, so a path that is not valid UTF-8 is skipped with a warning.
 */
import { constants } from 'node:os'
import { CairnError } from '../../core/errors.js'
import { goQuoteBytes, isValidUtf8 } from '../../restic/util/go-utf8.js'

interface XattrLib {
  listAttributes: (path: string) => Promise<string[]>
  getAttribute: (path: string, name: string) => Promise<Buffer | null>
  setAttribute: (path: string, name: string, value: Buffer) => Promise<void>
}

/** An extended attribute that could not be set (restore). */
export class ExtendedAttributeError extends CairnError {
  static override readonly code = 'ERR_EXTENDED_ATTRIBUTE'
}

export type Warn = (message: string) => void

let loading: Promise<XattrLib | Error> | undefined

async function lib (): Promise<XattrLib | Error> {
  loading ??= import('@napi-rs/xattr').then(m => m as XattrLib, (err: unknown) => err instanceof Error ? err : new Error(String(err)))
  return await loading
}

const ENOTSUP = constants.errno.ENOTSUP
const ENODATA = constants.errno.ENODATA
const NAMES = new Map(Object.entries(constants.errno).map(([k, v]) => [v, k]))

/** The errno of a library error ("Operation not permitted (os error 1)"), if it names one. */
function errnoOf (err: unknown): number | undefined {
  const m = /\(os error (\d+)\)/.exec((err as Error)?.message ?? '')
  return m === null ? undefined : Number(m[1])
}

/** No attributes here, as restic's handleXattrErr reads these errors. */
function isNone (err: unknown): boolean {
  const n = errnoOf(err)
  return n === ENOTSUP || n === ENODATA || n === constants.errno.EOPNOTSUPP
}

/** Reports, once per kind, what stops attributes from being handled at all. */
export class XattrAccess {
  readonly #warn: Warn
  #warnedLoad = false

  constructor (warn: Warn = () => {}) {
    this.#warn = warn
  }

  async #lib (what: string): Promise<XattrLib | undefined> {
    const l = await lib()
    if (!(l instanceof Error)) return l
    if (!this.#warnedLoad) {
      this.#warnedLoad = true
      this.#warn(`extended attributes are not ${what}: the @napi-rs/xattr module could not be loaded on this platform (${l.message.split('\n')[0] ?? ''}); reinstall Cairn's dependencies to include them.`)
    }
    return undefined
  }

  #text (path: Buffer, what: string): string | undefined {
    if (isValidUtf8(path)) return path.toString('utf8')
    this.#warn(`extended attributes of "${goQuoteBytes(path)}" are not ${what}: its path is not valid UTF-8, which the xattr module cannot take; rename it to include them.`)
    return undefined
  }

  /**
   * The attributes of `path` (never a symbolic link: the caller skips those, as restic does), in
   * the kernel's order; undefined when there are none. `onUnreadable` gets restic's line for an
   * attribute that could not be read.
   */
  async read (path: Buffer, onUnreadable: (line: string) => void): Promise<Array<{ name: string, value: Uint8Array }> | undefined> {
    const x = await this.#lib('backed up')
    if (x === undefined) return undefined
    const p = this.#text(path, 'backed up')
    if (p === undefined) return undefined
    let names: string[]
    try {
      names = await x.listAttributes(p)
    } catch (err) {
      if (isNone(err)) return undefined
      throw osError(err, 'llistxattr', p)
    }
    const out: Array<{ name: string, value: Uint8Array }> = []
    for (const name of names) {
      let value: Buffer | null
      try {
        value = await x.getAttribute(p, name)
      } catch {
        value = null
      }
      // null: gone since it was listed (ENOATTR), which restic reports as unreadable too.
      if (value === null) { onUnreadable(`can not obtain extended attribute ${name} for ${p}:`); continue }
      out.push({ name, value })
    }
    return out.length > 0 ? out : undefined
  }

  /** Sets each attribute in order; throws at the first that fails (as restic does). */
  async write (path: Buffer, attrs: Array<{ name: string, value: string | null }>): Promise<void> {
    if (attrs.length === 0) return
    const x = await this.#lib('restored')
    if (x === undefined) return
    const p = this.#text(path, 'restored')
    if (p === undefined) return
    for (const a of attrs) {
      try {
        await x.setAttribute(p, a.name, Buffer.from(a.value ?? '', 'base64'))
      } catch (err) {
        if (isNone(err)) continue
        const e = osError(err, 'lsetxattr', p)
        throw new ExtendedAttributeError(`could not set extended attribute ${a.name}: ${e.message}. The rest was restored; restore to a file system that takes this attribute (or as root for trusted.* and security.*).`, { cause: err })
      }
    }
  }
}

/** A library error as a Node-style system error (code, syscall, path). */
function osError (err: unknown, syscall: string, path: string): Error & { code?: string } {
  const n = errnoOf(err)
  const code = n === undefined ? undefined : NAMES.get(n)
  const e: Error & { code?: string, syscall?: string, path?: string } = new Error(`${code ?? 'error'}: ${(err as Error).message}, ${syscall} '${path}'`, { cause: err })
  if (code !== undefined) e.code = code
  e.syscall = syscall
  e.path = path
  return e
}
