/**
 * The page's own key loader (src/ipfs/self-key.ts) against the real @libp2p/config and
 * @libp2p/keychain: a key stored by either is read by the other as the same peer ID, so the
 * lighter loader neither changes an existing node's identity nor writes what the keychain cannot
 * read.
 */
import { loadOrCreateSelfKey as keychainLoad } from '@libp2p/config'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { describe, expect, it } from 'vitest'
import { SelfKeyUnreadableError, loadOrCreateSelfKey } from '../../../src/ipfs/self-key.js'

describe('self key', () => {
  it('reads the key @libp2p/config stored, as the same peer ID', async () => {
    const datastore = new MemoryDatastore()
    const stored = await keychainLoad(datastore)
    const loaded = await loadOrCreateSelfKey(datastore)
    expect(peerIdFromPrivateKey(loaded).toString()).toBe(peerIdFromPrivateKey(stored).toString())
    expect(loaded.equals(stored)).toBe(true)
  })

  it('stores a new key that @libp2p/config reads back, with the keychain\'s key info', async () => {
    const datastore = new MemoryDatastore()
    const created = await loadOrCreateSelfKey(datastore)
    expect(created.type).toBe('Ed25519')
    const again = await loadOrCreateSelfKey(datastore)
    expect(again.equals(created)).toBe(true)
    const viaKeychain = await keychainLoad(datastore)
    expect(viaKeychain.equals(created)).toBe(true)
    const { keychain } = await import('@libp2p/keychain')
    const { defaultLogger } = await import('@libp2p/logger')
    const chain = keychain()({ datastore, logger: defaultLogger() })
    const info = await chain.findKeyByName('self')
    const listed = await chain.listKeys()
    expect(info.name).toBe('self')
    expect(listed.map(k => k.id)).toEqual([info.id])
    // The keychain's own id for this key: what it writes when it imports the same key itself.
    const other = keychain()({ datastore: new MemoryDatastore(), logger: defaultLogger() })
    expect(info.id).toBe((await other.importKey('self', created)).id)
  })

  it('refuses a stored key it cannot decrypt, naming what to do', async () => {
    const datastore = new MemoryDatastore()
    await datastore.put(new Key('/pkcs8/self'), new TextEncoder().encode('bm90IGEga2V5'))
    await expect(loadOrCreateSelfKey(datastore)).rejects.toThrow(SelfKeyUnreadableError)
    await expect(loadOrCreateSelfKey(datastore)).rejects.toThrow(/Clear this site's data/)
  })
})
