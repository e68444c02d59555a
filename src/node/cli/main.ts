import '../polyfill-node20.js'
import { once } from 'node:events'
import { readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { AbortError, CairnError, isAbortError } from '../../core/errors.js'
import type { Command, CommandIO } from './command.js'
import { describeFsError } from './fs-errors.js'

const COMMANDS_DIR = new URL('./commands/', import.meta.url)

async function loadCommands (): Promise<Map<string, Command>> {
  const files = (await readdir(fileURLToPath(COMMANDS_DIR))).filter(f => /^[a-z][a-z0-9-]*\.ts$/.test(f)).sort()
  const commands = new Map<string, Command>()
  for (const file of files) {
    const mod = await import(new URL(file, COMMANDS_DIR).href) as { default?: Command }
    if (mod.default !== undefined) commands.set(mod.default.name, mod.default)
  }
  return commands
}

function globalHelp (commands: Map<string, Command>): string {
  const width = Math.max(0, ...[...commands.keys()].map(n => n.length))
  const lines = [...commands.values()].map(c => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return [
    'cairn: a browser-native IPFS node, on the command line.',
    '',
    'Usage: cairn <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `cairn <command> --help` for a command\'s options.',
    ''
  ].join('\n')
}

function defaultIO (signal: AbortSignal): CommandIO {
  // `cairn … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err })
  return {
    out: (t) => { process.stdout.write(t) },
    write: async (bytes) => { if (!process.stdout.write(bytes)) await once(process.stdout, 'drain', { signal }) },
    stdoutIsTTY: process.stdout.isTTY === true,
    err: (t) => { process.stderr.write(t) },
    signal,
    cwd: process.cwd(),
    env: process.env
  }
}

function ignoreHangup (): void {}
/** Exit codes of a command stopped by a signal, as shells report them (128 + the signal number). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 }
/** After the first signal, how long a command may take to stop cleanly before the process exits anyway. */
export const STOP_GRACE_MS = 10_000

/** Runs the CLI and returns the exit code. `io` is injectable for tests. */
export async function main (argv: string[], io?: CommandIO): Promise<number> {
  const controller = new AbortController()
  let stoppedBy: string | undefined
  // The first signal aborts the running command, which stops cleanly and exits 130/143 (a server
  // stopped this way exits 0); if it is still running after STOP_GRACE_MS, or a second signal
  // comes, the process exits at once.
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = SIGNAL_EXIT[signal] ?? 130
    if (stoppedBy !== undefined) process.exit(code)
    stoppedBy = signal
    controller.abort(new AbortError(`Interrupted (${signal}).`))
    setTimeout(() => {
      process.stderr.write(`cairn: the command did not stop within ${STOP_GRACE_MS / 1000} s of ${signal}; exiting.\n`)
      process.exit(code)
    }, STOP_GRACE_MS).unref()
  }
  if (io === undefined) {
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    // restic 0.14 checks whether a lock's holder runs by sending it SIGHUP (and ignores SIGHUP
    // itself): without this, `restic unlock` would kill a running cairn backup.
    process.on('SIGHUP', ignoreHangup)
  }
  const cio = io ?? defaultIO(controller.signal)
  try {
    const commands = await loadCommands()
    const [name, ...rest] = argv
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      cio.out(globalHelp(commands))
      return name === undefined ? 2 : 0
    }
    const command = commands.get(name)
    if (command === undefined) {
      cio.err(`cairn: unknown command "${name}". Run \`cairn --help\` for the list of commands.\n`)
      return 2
    }
    if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) {
      cio.out(command.usage.endsWith('\n') ? command.usage : command.usage + '\n')
      return 0
    }
    return await command.run(rest, cio)
  } catch (err) {
    if (cio.signal.aborted && (isAbortError(err) || err === cio.signal.reason)) {
      cio.err(`cairn: interrupted; ${argv[0] ?? 'the command'} stopped.\n`)
      return SIGNAL_EXIT[stoppedBy ?? 'SIGINT'] ?? 130
    }
    if (err instanceof CairnError) {
      cio.err(`cairn: ${err.message}\n`)
      return 1
    }
    const fsMessage = describeFsError(err)
    if (fsMessage !== undefined) {
      cio.err(`cairn: ${fsMessage}\n`)
      return 1
    }
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      cio.err(`cairn: ${(err as Error).message}. Run \`cairn ${argv[0] ?? ''} --help\`.\n`)
      return 2
    }
    cio.err(`cairn: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('SIGHUP', ignoreHangup)
  }
}
