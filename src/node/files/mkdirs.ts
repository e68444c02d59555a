/**
 * Creating folders without `mkdir(path, { recursive: true })`. Node's recursive mkdir loops forever
 * (at full CPU) where mkdir answers ENOENT although the parent exists, as it does everywhere under
 * /proc: `cairn restic init -r /proc/repo` spun. These walk up once to the first existing folder,
 * then create each missing one; every other answer is an error for the caller.
 */
import { mkdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

/** Creates `path`; an existing folder is fine. */
export async function makeDir (path: string, mode?: number): Promise<void> {
  try {
    await mkdir(path, { mode })
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST' && (await stat(path)).isDirectory()) return
    throw err
  }
}

/** Creates `path` and the folders above it that are missing (`mkdir -p`), each at most once. */
export async function makeDirs (path: string, mode?: number): Promise<void> {
  const missing: string[] = []
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    try {
      await stat(dir)
      break // exists (a file here makes the next mkdir fail with ENOTDIR)
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err
      missing.push(dir)
      if (dirname(dir) === dir) break
    }
  }
  for (const dir of missing.reverse()) await makeDir(dir, mode)
}
