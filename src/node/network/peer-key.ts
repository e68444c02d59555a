/**
 * A libp2p private key kept in a file, so the local network's peer id (and so its relay address)
 * stays the same across restarts. The file holds the key's libp2p protobuf encoding.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { makeDirs } from '../files/mkdirs.js'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { KeyFileError } from './errors.js'
import type { PrivateKey } from '@libp2p/interface'

/** Reads the key in `path`, or creates an Ed25519 key there (mode 0600) when the file does not exist. */
export async function loadOrCreateKeyFile (path: string): Promise<PrivateKey> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new KeyFileError(`Could not read the key file ${path}: ${(err as Error).message}. Check its permissions, or pass another --key-file.`, { cause: err })
    }
    const key = await generateKeyPair('Ed25519')
    try {
      await makeDirs(dirname(path))
      await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code === 'EEXIST') return await loadOrCreateKeyFile(path)
      throw new KeyFileError(`Could not create the key file ${path}: ${(writeErr as Error).message}. Choose a writable path for --key-file.`, { cause: writeErr })
    }
    return key
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new KeyFileError(`The key file ${path} does not hold a libp2p private key (${(err as Error).message}). Delete it to get a new peer id, or pass another --key-file.`, { cause: err })
  }
}
