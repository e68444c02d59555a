/**
 * A per-device, non-extractable AES-GCM key kept in IndexedDB. Secrets encrypted with it (IPNS
 * keys, remembered passwords) can be decrypted only by this origin on this device, and the key's
 * bytes can never be read by script, including ours.
 */
import { openDB } from 'idb'

const DB_NAME = 'cairn/device-key/v1'
const STORE = 'keys'

export async function deviceKey (purpose: string): Promise<CryptoKey> {
  const db = await openDB(DB_NAME, 1, { upgrade (d) { d.createObjectStore(STORE) } })
  try {
    const existing = await db.get(STORE, purpose) as CryptoKey | undefined
    if (existing !== undefined) return existing
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    await db.put(STORE, key, purpose)
    return key
  } finally {
    db.close()
  }
}
