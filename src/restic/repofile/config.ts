/** The `config` file: repository version, ID and chunker polynomial. */
import { UnsupportedRepositoryError } from '../errors.js'

export interface ConfigFile {
  version: 1 | 2
  id: string
  chunker_polynomial: string
}

export function parseConfig (json: unknown): ConfigFile {
  const c = json as Partial<ConfigFile>
  if (typeof c !== 'object' || c === null || typeof c.id !== 'string' || typeof c.chunker_polynomial !== 'string') {
    throw new UnsupportedRepositoryError('the repository config is not a restic config (missing id or chunker_polynomial).')
  }
  if (c.version !== 1 && c.version !== 2) {
    throw new UnsupportedRepositoryError(`repository version ${String(c.version)} is not supported (only 1 and 2). Use a newer Cairn, or restic itself.`)
  }
  return { version: c.version, id: c.id, chunker_polynomial: c.chunker_polynomial }
}

export function encodeConfig (c: ConfigFile): string {
  return JSON.stringify({ version: c.version, id: c.id, chunker_polynomial: c.chunker_polynomial })
}
