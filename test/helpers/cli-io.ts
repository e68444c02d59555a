import type { CommandIO } from '../../src/node/cli/command.js'

export type CapturedIO = CommandIO & { stdout: string, stderr: string }

/** A CommandIO that records what a command prints, for `main([...], io)` in tests. */
export function captureIO (init: { cwd?: string, env?: Record<string, string | undefined>, signal?: AbortSignal } = {}): CapturedIO {
  const io: CapturedIO = {
    stdout: '',
    stderr: '',
    out: (t: string) => { io.stdout += t },
    err: (t: string) => { io.stderr += t },
    signal: init.signal ?? new AbortController().signal,
    cwd: init.cwd ?? process.cwd(),
    env: init.env ?? {}
  }
  return io
}
