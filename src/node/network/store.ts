/**
 * Where the local network peer keeps what it holds, so it is a keeper that survives restarts:
 *
 *   <home>/network/cairn-network.json   marks the folder as the peer's (format and version)
 *   <home>/network/peer.key             the peer identity (see peer-key.ts)
 *   <home>/network/blocks/              blocks (blockstore-fs): served by the gateway and bitswap
 *   <home>/network/datastore/           Helia's datastore (its pins), the Pinning Service API's
 *                                       pinned requests and the held IPNS records (datastore-fs)
 *   <home>/network/lock                 the process id of the peer using the folder
 *
 * A folder that holds something else, a newer format, or is in use by a live process is refused
 * with a message that says what to do: nothing here is ever wiped.
 */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { FsDatastore } from 'datastore-fs'
import { makeDirs } from '../files/mkdirs.js'
import { NetworkStoreError } from './errors.js'
import { verifiedBlocks } from './verified-blocks.js'

export const NETWORK_DIR = 'network'
const MARKER = 'cairn-network.json'
const FORMAT = 'cairn-local-network'
const VERSION = 1

export interface NetworkStore {
  /** `<home>/network` */
  dir: string
  keyFile: string
  /** Reads are checked against their CIDs (verified-blocks.ts). */
  blockstore: FsBlockstore
  datastore: FsDatastore
  /** Closes both stores and releases the lock. */
  close: () => Promise<void>
}

function storeError (dir: string, what: string, cause?: unknown): NetworkStoreError {
  return new NetworkStoreError(`${what} Move ${dir} aside (the peer then starts empty there), or give another Cairn home with --home or CAIRN_HOME.`, { cause })
}

async function checkMarker (dir: string): Promise<void> {
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storeError(dir, `Could not read the local network folder ${dir}: ${(err as Error).message}.`, err)
    entries = []
  }
  if (!entries.includes(MARKER)) {
    if (entries.length > 0) throw storeError(dir, `${dir} holds files but is not a Cairn local network folder (there is no ${MARKER}).`)
    await makeDirs(dir)
    await writeFile(join(dir, MARKER), JSON.stringify({ format: FORMAT, version: VERSION }) + '\n', { flag: 'wx' })
    return
  }
  let marker: { format?: unknown, version?: unknown }
  try {
    marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { format?: unknown, version?: unknown }
  } catch (err) {
    throw storeError(dir, `${join(dir, MARKER)} is not readable JSON (${(err as Error).message}).`, err)
  }
  if (marker?.format !== FORMAT || typeof marker.version !== 'number') {
    throw storeError(dir, `${join(dir, MARKER)} does not describe a Cairn local network folder.`)
  }
  if (marker.version > VERSION) {
    throw storeError(dir, `${dir} was written by a newer Cairn (format ${marker.version}; this one reads ${VERSION}). Upgrade Cairn, or`)
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes `<dir>/lock` for this process; a lock left by a process that is gone is taken over. */
async function lock (dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'lock')
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' })
      return async () => { await rm(path, { force: true }) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storeError(dir, `Could not write ${path}: ${(err as Error).message}.`, err)
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new NetworkStoreError(`Another local network peer (process ${pid}) is using ${dir}. Stop it first, or give this one another Cairn home with --home or CAIRN_HOME. (If no peer runs there, delete ${path}.)`)
    }
    if (pid === process.pid) {
      throw new NetworkStoreError(`A local network peer in this process is already using ${dir}. Stop it first, or give this one another home.`)
    }
    await rm(path, { force: true })
  }
  throw new NetworkStoreError(`Could not take the lock ${path}. Make sure no other local network peer uses ${dir}, delete the file, and start again.`)
}

/** Opens (creating on first use) the local network's folder under the Cairn home `home`. */
export async function openNetworkStore (home: string): Promise<NetworkStore> {
  const dir = join(home, NETWORK_DIR)
  try {
    await checkMarker(dir)
  } catch (err) {
    if (err instanceof NetworkStoreError) throw err
    throw storeError(dir, `Could not create the local network folder ${dir}: ${(err as Error).message}.`, err)
  }
  const unlock = await lock(dir)
  const blockstore = new FsBlockstore(join(dir, 'blocks'))
  const datastore = new FsDatastore(join(dir, 'datastore'))
  try {
    await blockstore.open()
    await datastore.open()
  } catch (err) {
    await unlock()
    throw storeError(dir, `Could not open the stores in ${dir}: ${(err as Error).message}. Check its permissions.`, err)
  }
  let closed = false
  return {
    dir,
    keyFile: join(dir, 'peer.key'),
    blockstore: verifiedBlocks(blockstore, join(dir, 'blocks')),
    datastore,
    close: async () => {
      if (closed) return
      closed = true
      await blockstore.close().catch(() => {})
      await datastore.close().catch(() => {})
      await unlock()
    }
  }
}
