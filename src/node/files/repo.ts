/**
 * The CLI's local node: a Helia with no network (no libp2p, no routers, no gateways), keeping
 * blocks and pins on disk in `<repo>/blocks` and `<repo>/datastore`.
 */
import { makeDirs } from './mkdirs.js'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { RepoError } from './errors.js'
import type { Helia } from '@helia/interface'

/** `--repo-dir`, else `$CAIRN_HOME`, else `~/.cairn`. */
export function repoDir (flag: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  if (flag !== undefined && flag !== '') return resolve(cwd, flag)
  const home = env.CAIRN_HOME
  if (home !== undefined && home !== '') return resolve(cwd, home)
  return join(homedir(), '.cairn')
}

export interface LocalNode {
  helia: Helia
  dir: string
  close: () => Promise<void>
}

export async function openLocalNode (dir: string): Promise<LocalNode> {
  const [{ FsBlockstore }, { FsDatastore }, { createHeliaLight }] = await Promise.all([
    import('blockstore-fs'),
    import('datastore-fs'),
    import('helia')
  ])
  try {
    await makeDirs(join(dir, 'blocks'))
    await makeDirs(join(dir, 'datastore'))
  } catch (err) {
    throw new RepoError(`Cannot create the local store in "${dir}": ${(err as Error).message}. Choose another place with --repo-dir or CAIRN_HOME.`, { cause: err })
  }
  const blockstore = new FsBlockstore(join(dir, 'blocks'))
  const datastore = new FsDatastore(join(dir, 'datastore'))
  try {
    await blockstore.open()
    await datastore.open()
  } catch (err) {
    throw new RepoError(`Cannot open the local store in "${dir}": ${(err as Error).message}. Check its permissions, or choose another place with --repo-dir.`, { cause: err })
  }
  const helia = createHeliaLight({ blockstore, datastore })
  await helia.start()
  return {
    helia,
    dir,
    close: async () => {
      await helia.stop()
      await blockstore.close()
      await datastore.close()
    }
  }
}
