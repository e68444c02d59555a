/**
 * A per-device, non-extractable AES-GCM key kept in IndexedDB. Secrets encrypted with it (IPNS
 * keys, remembered passwords, pinning-service tokens) can be decrypted only by this origin on this
 * device, and the key's bytes can never be read by script, including ours.
 *
 * `seal`/`unseal` are the one place secrets are encrypted with it: AES-GCM with a fresh 96-bit IV,
 * and `context` (what the secret belongs to) as additional data, so a ciphertext moved to another
 * record (another repository, another service's endpoint) does not decrypt.
 */
import { openDB } from 'idb'

const DB_NAME = 'cairn/device-key/v1'
const STORE = 'keys'

const keys = new Map<string, Promise<CryptoKey>>()

/**
 * The device key for `purpose`, created on first use. Creating is race-free: concurrent callers in
 * this page share one promise, and across tabs and workers the read and the write of a new key
 * happen in one IndexedDB transaction, so a second key can never replace the first (whatever was
 * sealed under the first would be lost).
 */
export async function deviceKey (purpose: string): Promise<CryptoKey> {
  let pending = keys.get(purpose)
  if (pending === undefined) {
    pending = loadOrCreate(purpose)
    keys.set(purpose, pending)
    pending.catch(() => { keys.delete(purpose) })
  }
  return await pending
}

async function loadOrCreate (purpose: string): Promise<CryptoKey> {
  const db = await openDB(DB_NAME, 1, { upgrade (d) { d.createObjectStore(STORE) } })
  try {
    const existing = await db.get(STORE, purpose) as CryptoKey | undefined
    if (existing !== undefined) return existing
    const fresh = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const tx = db.transaction(STORE, 'readwrite')
    const raced = await tx.store.get(purpose) as CryptoKey | undefined
    if (raced === undefined) await tx.store.put(fresh, purpose)
    await tx.done
    return raced ?? fresh
  } finally {
    db.close()
  }
}

/** A secret encrypted under a device key. */
export interface Sealed { iv: Uint8Array, data: Uint8Array }

export function isSealed (value: unknown): value is Sealed {
  const v = value as Partial<Sealed> | null | undefined
  return typeof v === 'object' && v !== null && v.iv instanceof Uint8Array && v.data instanceof Uint8Array
}

/** Encrypts `secret` under the device key for `purpose`, bound to `context`. */
export async function seal (purpose: string, secret: string, context: string): Promise<Sealed> {
  const key = await deviceKey(purpose)
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(context) }, key, new TextEncoder().encode(secret)))
  return { iv, data }
}

/**
 * Decrypts what `seal` gave for the same `purpose` and `context`. Throws when it cannot (another
 * device key, another context, a damaged record).
 */
export async function unseal (purpose: string, sealed: Sealed, context: string): Promise<string> {
  const key = await deviceKey(purpose)
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv as Uint8Array<ArrayBuffer>, additionalData: new TextEncoder().encode(context) }, key, sealed.data as Uint8Array<ArrayBuffer>)
  return new TextDecoder().decode(plain)
}
