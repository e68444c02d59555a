/**
 * Keeper secrets (tokens, S3 secret keys) never reach IndexedDB in plain text: the settings record
 * holds each as AES-GCM ciphertext under the device key (device-key.ts), bound to the keeper's kind
 * and endpoint, so a ciphertext copied onto another endpoint does not decrypt (the secret is never
 * sent elsewhere).
 *
 * Older records are read too, and the store rewrites them at once:
 * - `pinningServices` (before keepers): each becomes a `psa` keeper, its token (sealed under the
 *   old context, or plain) carried over;
 * - `token` in plain text (before tokens were sealed): the plaintext goes in the same write that
 *   adds the ciphertext, so no token is lost on the way.
 */
import { isSealed, seal, unseal } from './device-key.js'
import type { Sealed } from './device-key.js'
import type { StoredSettings } from './settings-store.js'
import type { KeeperSettings, NetworkSettings, PinningServiceSettings, SettingsProfileName } from '../core/settings.js'

const TOKEN_PURPOSE = 'pinning-tokens'
const PROFILES: readonly SettingsProfileName[] = ['public', 'local']

interface SealedEntry {
  sealedToken?: Sealed
  /** Plain text: only in records written before tokens were sealed. */
  token?: string
  /** Sealed under the pinning-service context of older versions (a ciphertext this device could not open, kept). */
  legacySeal?: true
}

/** A pinning service as older versions stored it: its token sealed (or, older still, plain). */
export interface StoredPinningService extends Omit<PinningServiceSettings, 'token'>, SealedEntry {}

/** A keeper as stored: its secret sealed. */
export interface StoredKeeper extends Omit<KeeperSettings, 'token'>, SealedEntry {}

/** The settings record as it sits in IndexedDB. */
export interface SettingsRecord extends Omit<StoredSettings, 'profiles'> {
  profiles: Record<SettingsProfileName, Omit<NetworkSettings, 'keepers'> & { keepers?: StoredKeeper[], pinningServices?: StoredPinningService[] }>
}

/** Ciphertexts this device could not open (another device key), kept as they are on save. */
export type Unreadable = Map<string, { sealed: Sealed, legacy: boolean }>

const legacyContext = (endpoint: string): string => `pinning-token\n${endpoint}`
const context = (k: { kind: string, endpoint: string }): string => `keeper-token\n${k.kind}\n${k.endpoint}`
const slot = (profile: string, k: { kind: string, name: string, endpoint: string }): string => `${profile}\n${k.kind}\n${k.name}\n${k.endpoint}`

/** The stored entry's fields other than its secret. */
function fieldsOf (k: StoredKeeper): Omit<KeeperSettings, 'token'> {
  const out: Omit<KeeperSettings, 'token'> = { kind: k.kind, name: k.name, endpoint: k.endpoint }
  if (k.bucket !== undefined) out.bucket = k.bucket
  if (k.region !== undefined) out.region = k.region
  if (k.accessKeyId !== undefined) out.accessKeyId = k.accessKeyId
  return out
}

/**
 * The record's settings with secrets in plain text (for this page only). A secret that cannot be
 * decrypted reads as '' (Settings shows it missing) and its ciphertext goes into `unreadable`.
 * `rewrite` is true when the record is in an older shape (plain tokens, pinning services) and
 * should be stored again at once.
 */
export async function openSettings (record: SettingsRecord): Promise<{ settings: StoredSettings, rewrite: boolean, unreadable: Unreadable }> {
  const unreadable: Unreadable = new Map()
  let rewrite = false
  const settings = structuredClone(record) as unknown as StoredSettings
  for (const p of PROFILES) {
    const profile = record.profiles[p]
    if (profile === undefined) continue
    const legacy = (profile.pinningServices ?? []).map((s): StoredKeeper => ({ ...s, kind: 'psa', ...(isSealed(s.sealedToken) ? { legacySeal: true as const } : {}) }))
    if (profile.pinningServices !== undefined) rewrite = true
    delete (settings.profiles[p] as Partial<SettingsRecord['profiles'][SettingsProfileName]>).pinningServices
    if (profile.keepers === undefined && profile.pinningServices === undefined) continue
    const stored = [...legacy, ...(profile.keepers ?? []).filter(k => !legacy.some(l => l.name === k.name))]
    settings.profiles[p].keepers = await Promise.all(stored.map(async (k): Promise<KeeperSettings> => {
      const entry = fieldsOf(k)
      if (isSealed(k.sealedToken)) {
        try {
          const token = await unseal(TOKEN_PURPOSE, k.sealedToken, k.legacySeal === true ? legacyContext(k.endpoint) : context(k))
          if (k.legacySeal === true) rewrite = true
          return { ...entry, token }
        } catch {
          unreadable.set(slot(p, k), { sealed: k.sealedToken, legacy: k.legacySeal === true })
          return { ...entry, token: '' }
        }
      }
      if (typeof k.token === 'string' && k.token !== '') rewrite = true
      return { ...entry, token: k.token ?? '' }
    }))
  }
  return { settings, rewrite, unreadable }
}

/** The record to store: every secret sealed, none in plain text. */
export async function sealSettings (settings: StoredSettings, unreadable: Unreadable = new Map()): Promise<SettingsRecord> {
  const record = structuredClone(settings) as unknown as SettingsRecord
  for (const p of PROFILES) {
    const keepers = settings.profiles[p]?.keepers
    delete record.profiles[p]?.pinningServices
    if (keepers === undefined) continue
    record.profiles[p].keepers = await Promise.all(keepers.map(async (k): Promise<StoredKeeper> => {
      const entry: StoredKeeper = fieldsOf(k)
      if (k.token !== '') return { ...entry, sealedToken: await seal(TOKEN_PURPOSE, k.token, context(k)) }
      const kept = unreadable.get(slot(p, k))
      if (kept === undefined) return entry
      return { ...entry, sealedToken: kept.sealed, ...(kept.legacy ? { legacySeal: true as const } : {}) }
    }))
  }
  return record
}
