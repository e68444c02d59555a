import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { InvalidInputError } from '../../../core/errors.js'
import type { CommandIO, Command } from '../command.js'
import type { CID } from 'multiformats/cid'

const usage = `Usage:
  cairn car export <cid> -o <file.car> [--repo-dir <dir>]
  cairn car import <file.car>... [--no-pin] [--repo-dir <dir>]

export  writes the DAG under <cid> from the local store to a CARv1 file (root first, depth-first).
        Every block must be in the local store; a missing one is named.
import  reads CARv1 or CARv2 files, checks every block's hash against its CID, stores the blocks
        and pins the roots (unless --no-pin). A corrupt or truncated file is rejected, naming the
        bad block or the byte offset.

Options:
  -o, --output <file>  where to write the CAR (export)
  --no-pin             do not pin the imported roots (import)
  --repo-dir <dir>     local store (default: $CAIRN_HOME, else ~/.cairn)`

function formatBytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

async function parseCid (text: string): Promise<CID> {
  const { CID } = await import('multiformats/cid')
  try {
    return CID.parse(text)
  } catch {
    throw new InvalidInputError(`"${text}" is not a CID. Give a CID such as Qm… or bafy… (as printed by \`cairn add\`).`)
  }
}

async function runExport (args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, 'repo-dir': { type: 'string' } }
  })
  if (positionals.length !== 1 || positionals[0] === undefined) throw new InvalidInputError('Give exactly one CID to export, e.g. `cairn car export bafy… -o out.car`.')
  if (values.output === undefined || values.output === '') throw new InvalidInputError('Say where to write the CAR with -o <file.car>.')
  const root = await parseCid(positionals[0])
  const out = resolve(io.cwd, values.output)
  const partial = `${out}.partial`

  const [{ exportCar }, { openLocalNode, repoDir }] = await Promise.all([
    import('../../../ipfs/car/index.js'),
    import('../../files/repo.js')
  ])
  const node = await openLocalNode(repoDir(values['repo-dir'], io.env, io.cwd))
  let blocks = 0
  let bytes = 0
  try {
    // Read the local store directly: a missing block must fail now, not wait for the network.
    const store = node.helia.blockstore
    await pipeline(
      Readable.from(exportCar(store, root, {
        signal: io.signal,
        onProgress: e => { blocks++; bytes += e.detail.bytes }
      })),
      createWriteStream(partial),
      { signal: io.signal }
    )
    await rename(partial, out)
  } catch (err) {
    await rm(partial, { force: true })
    throw err
  } finally {
    await node.close()
  }
  io.err(`exported ${blocks} blocks (${formatBytes(bytes)}) to ${values.output}\n`)
  return 0
}

async function runImport (args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'no-pin': { type: 'boolean' }, 'repo-dir': { type: 'string' } }
  })
  if (positionals.length === 0) throw new InvalidInputError('Give one or more CAR files to import, e.g. `cairn car import site.car`.')
  const [{ importCar }, { openLocalNode, repoDir }, { UnreadableFileError }] = await Promise.all([
    import('../../../ipfs/car/index.js'),
    import('../../files/repo.js'),
    import('../../files/errors.js')
  ])
  for (const file of positionals) {
    try {
      const info = await stat(resolve(io.cwd, file))
      if (!info.isFile()) throw new InvalidInputError(`"${file}" is not a file. Give the path of a .car file.`)
    } catch (err) {
      if (err instanceof InvalidInputError) throw err
      const code = (err as { code?: string }).code
      throw new UnreadableFileError(code === 'ENOENT'
        ? `"${file}" does not exist. Check the path of the CAR file.`
        : `Cannot read "${file}": ${(err as Error).message}. Check its permissions.`, { path: file, cause: err })
    }
  }
  const node = await openLocalNode(repoDir(values['repo-dir'], io.env, io.cwd))
  try {
    for (const file of positionals) {
      const stream = createReadStream(resolve(io.cwd, file), { highWaterMark: 1 << 20, signal: io.signal })
      let result
      try {
        result = await importCar(node.helia, stream as AsyncIterable<Uint8Array>, { pin: values['no-pin'] !== true, signal: io.signal })
      } catch (err) {
        if (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string' && (err as { code: string }).code.startsWith('ERR_')) {
          err.message = `${file}: ${err.message}`
        }
        throw err
      } finally {
        stream.destroy()
      }
      const pinned = values['no-pin'] === true ? 'root' : 'pinned root'
      for (const root of result.roots) io.out(`${pinned} ${root.toString()}\n`)
      io.err(`imported ${result.blocks} blocks (${formatBytes(result.bytes)}) from ${file}\n`)
    }
  } finally {
    await node.close()
  }
  return 0
}

const command: Command = {
  name: 'car',
  summary: 'Export a DAG to a .car file, or import .car files (verified, pinned).',
  usage,
  async run (argv, io) {
    const [sub, ...rest] = argv
    if (sub === 'export') return runExport(rest, io)
    if (sub === 'import') return runImport(rest, io)
    throw new InvalidInputError(sub === undefined
      ? 'Say what to do: `cairn car export <cid> -o file.car` or `cairn car import file.car`.'
      : `Unknown subcommand "${sub}": use \`cairn car export\` or \`cairn car import\`.`)
  }
}

export default command
