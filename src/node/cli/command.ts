/**
 * The shape of one CLI command. Each file in `commands/` default-exports one `Command`; `main.ts`
 * finds them by file name, so adding a command never touches a shared file.
 */
export interface CommandIO {
  /** Write to standard output (no newline added). */
  out: (text: string) => void
  /**
   * Write bytes to standard output, resolving once the pipe can take more (so a large stream stays
   * bounded in memory). Absent where only text is collected; `cairn restic dump` needs it.
   */
  write?: (bytes: Uint8Array) => Promise<void>
  /** True when standard output is a terminal (`dump` refuses to write an archive there). */
  stdoutIsTTY?: boolean
  /** Write to standard error (no newline added). */
  err: (text: string) => void
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal
  cwd: string
  env: Record<string, string | undefined>
}

export interface Command {
  /** The word typed after `cairn`, equal to the file name. */
  name: string
  /** One line for `cairn --help`. */
  summary: string
  /** The full help text for `cairn <name> --help`. */
  usage: string
  /** Returns the process exit code. Throw a CairnError for a user-facing failure. */
  run: (argv: string[], io: CommandIO) => Promise<number>
}

/** Resolves when the command is asked to stop (Ctrl-C, SIGTERM): for long-running servers. */
export async function untilAborted (signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
}
