/**
 * What every `cairn restic <command>` gets: the open repository, its backend, the parsed flags and
 * the shared helpers (password files, numbers, tags, restic's warnings). One module per command
 * (`cmd-*.ts`), as restic's `cmd_*.go`; `commands.ts` lists them.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { InvalidInputError } from '../../../core/errors.js'
import type { CommandIO } from '../command.js'
import type * as ResticModule from '../../../restic/index.js'
import type { ParseArgsConfig } from 'node:util'
import { isIpfsRepoUrl } from '../../restic-ipfs/cli-options.js'

export type Restic = typeof ResticModule
export type Values = Record<string, string | boolean | Array<string | boolean> | undefined>
export type OptionsConfig = NonNullable<ParseArgsConfig['options']>

export interface ResticContext {
  r: Restic
  /** The repository as given (-r/--repo or RESTIC_REPOSITORY). */
  repoUrl: string
  /** The repository's backend; `repo` is open on it (except for `init`). */
  backend: ResticModule.Backend
  repo: ResticModule.Repository
  /** Positional arguments after the command's name. */
  args: string[]
  values: Values
  io: CommandIO
  json: boolean
  filter: ResticModule.SnapshotFilter
  host: string
  user: string
  signal: AbortSignal
}

export interface ResticCommand {
  name: string
  /** Lines for the usage text, `  name <args>   what it does`. */
  usage: string
  /** The command's own flags (the shared ones are in `restic.ts`). */
  options?: OptionsConfig
  /** False for commands that make the repository (`init`): `repo` is then not set. Default true. */
  opensRepo?: boolean
  run: (ctx: ResticContext) => Promise<number>
}

/**
 * scrypt parameters for a new key: stronger ones (`PUBLIC_STORAGE_SCRYPT`) for a repository on
 * IPFS, whose `keys/` anyone who knows the name can download; restic's defaults elsewhere.
 */
export function newKeyScrypt (ctx: Pick<ResticContext, 'r' | 'repoUrl'>): ResticModule.ScryptParams | undefined {
  return isIpfsRepoUrl(ctx.repoUrl) ? ctx.r.PUBLIC_STORAGE_SCRYPT : undefined
}

export function str (values: Values, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function list (values: Values, name: string): string[] {
  const v = values[name]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []
}

export function flag (values: Values, name: string): boolean {
  return values[name] === true
}

export async function readPassword (file: string | undefined, io: CommandIO, what = 'password'): Promise<string> {
  const path = file ?? io.env.RESTIC_PASSWORD_FILE
  if (path !== undefined && path !== '') {
    const text = await readFile(resolve(io.cwd, path), 'utf8').catch((err: unknown) => {
      throw new InvalidInputError(`cannot read the ${what} file ${path}: ${(err as Error).message}`)
    })
    return text.replace(/\r?\n$/, '')
  }
  if (io.env.RESTIC_PASSWORD !== undefined) return io.env.RESTIC_PASSWORD
  throw new InvalidInputError(`no ${what} given: use --password-file <file>, or set RESTIC_PASSWORD_FILE or RESTIC_PASSWORD.`)
}

export function int (v: string | undefined, flagName: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < -1) throw new InvalidInputError(`--${flagName} needs a whole number, got "${v}".`)
  return n
}

export function splitTags (v: string[] | undefined): string[] {
  return (v ?? []).flatMap(t => t.split(',')).filter(t => t !== '')
}

/** restic's warning for a snapshot file it leaves out of a listing. */
export function skipped (io: CommandIO): (id: string, err: Error) => void {
  return (id, err) => { io.err(`could not load snapshot ${id.slice(0, 8)}: ${err.message}\n`) }
}

/** Resolves `ref` (ID, prefix, "latest") with the context's filter, warning about damaged snapshots. */
export async function findSnapshot (ctx: ResticContext, ref: string): Promise<ResticModule.Snapshot> {
  return await ctx.r.findSnapshot(ctx.repo, ref, ctx.filter, { signal: ctx.signal, onSkipped: skipped(ctx.io) })
}
