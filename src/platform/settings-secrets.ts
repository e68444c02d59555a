/**
 * Pinning-service tokens never reach IndexedDB in plain text: the settings record holds each as
 * AES-GCM ciphertext under the device key (device-key.ts), bound to the service's endpoint, so a
 * ciphertext copied onto another endpoint does not decrypt (the token is never sent elsewhere).
 *
 * Records written before this hold `token` in plain text; `openSettings` reads them, and the
 * store rewrites them sealed at once (the plaintext goes in the same write that adds the
 * ciphertext, so no token is lost on the way).
 */
import { isSealed, seal, unseal } from './device-key.js'
import type { Sealed } from './device-key.js'
import type { StoredSettings } from './settings-store.js'
import type { NetworkSettings, PinningServiceSettings, SettingsProfileName } from '../core/settings.js'

const TOKEN_PURPOSE = 'pinning-tokens'
const PROFILES: readonly SettingsProfileName[] = ['public', 'local']

/** A pinning service as stored: its token sealed (or, from older versions, plain). */
export interface StoredPinningService extends Omit<PinningServiceSettings, 'token'> {
  sealedToken?: Sealed
  /** Plain text: only in records written before tokens were sealed. */
  token?: string
}

/** The settings record as it sits in IndexedDB. */
export interface SettingsRecord extends Omit<StoredSettings, 'profiles'> {
  profiles: Record<SettingsProfileName, Omit<NetworkSettings, 'pinningServices'> & { pinningServices?: StoredPinningService[] }>
}

/** Ciphertexts this device could not open (another device key), kept as they are on save. */
export type Unreadable = Map<string, Sealed>

const context = (endpoint: string): string => `pinning-token\n${endpoint}`
const slot = (profile: string, s: { name: string, endpoint: string }): string => `${profile}\n${s.name}\n${s.endpoint}`

/**
 * The record's settings with tokens in plain text (for this page only). A token that cannot be
 * decrypted reads as '' (Settings shows it missing) and its ciphertext goes into `unreadable`.
 */
export async function openSettings (record: SettingsRecord): Promise<{ settings: StoredSettings, plaintext: boolean, unreadable: Unreadable }> {
  const unreadable: Unreadable = new Map()
  let plaintext = false
  const settings = structuredClone(record) as unknown as StoredSettings
  for (const p of PROFILES) {
    const stored = record.profiles[p]?.pinningServices
    if (stored === undefined) continue
    settings.profiles[p].pinningServices = await Promise.all(stored.map(async (s): Promise<PinningServiceSettings> => {
      const entry = { name: s.name, endpoint: s.endpoint }
      if (isSealed(s.sealedToken)) {
        try {
          return { ...entry, token: await unseal(TOKEN_PURPOSE, s.sealedToken, context(s.endpoint)) }
        } catch {
          unreadable.set(slot(p, s), s.sealedToken)
          return { ...entry, token: '' }
        }
      }
      if (typeof s.token === 'string' && s.token !== '') plaintext = true
      return { ...entry, token: s.token ?? '' }
    }))
  }
  return { settings, plaintext, unreadable }
}

/** The record to store: every token sealed, none in plain text. */
export async function sealSettings (settings: StoredSettings, unreadable: Unreadable = new Map()): Promise<SettingsRecord> {
  const record = structuredClone(settings) as unknown as SettingsRecord
  for (const p of PROFILES) {
    const services = settings.profiles[p]?.pinningServices
    if (services === undefined) continue
    record.profiles[p].pinningServices = await Promise.all(services.map(async (s): Promise<StoredPinningService> => {
      const entry = { name: s.name, endpoint: s.endpoint }
      if (s.token !== '') return { ...entry, sealedToken: await seal(TOKEN_PURPOSE, s.token, context(s.endpoint)) }
      const kept = unreadable.get(slot(p, s))
      return kept !== undefined ? { ...entry, sealedToken: kept } : entry
    }))
  }
  return record
}
