/**
 * An IPFS-hosted repository learns its master key once the password opened it: it unlocks the
 * name's key carried in the repository (or adds it with this device's next write), and the CLI
 * says when this device can only read.
 */
import type { CommandIO } from '../command.js'
import type { Backend, Key } from '../../../restic/index.js'
import type { IpfsBackend } from '../../../ipfs/restic-backend/index.js'

export async function useMasterKey (backend: Backend, key: Key, io: CommandIO): Promise<void> {
  const ipfs = backend as Partial<Pick<IpfsBackend, 'useMasterKey' | 'readOnlyReason'>>
  if (typeof ipfs.useMasterKey !== 'function' || typeof ipfs.readOnlyReason !== 'function') return
  await ipfs.useMasterKey(key, { signal: io.signal })
  const why = await ipfs.readOnlyReason({ signal: io.signal })
  if (why !== undefined) io.err(`${why}\n`)
}
