/**
 * Settings persisted in IndexedDB (`cairn/settings/v1`). Two profiles exist: `public` (defaults for
 * real use) and `local` (the local network from `npm start` and the tests, discovered at
 * `./cairn-local.json`). The active profile and any edits survive reloads. Keeper tokens and secrets
 * are stored sealed under the device key (settings-secrets.ts), never in plain text.
 */
import { MAX_JSON_BYTES, readJson } from '../core/http-body.js'
import { openDB } from 'idb'
import type { IDBPDatabase } from 'idb'
import type { SettingsRecord, Unreadable } from './settings-secrets.js'
import { openSettings, sealSettings } from './settings-secrets.js'
import { PUBLIC_SETTINGS, localKeepers, localSettings } from '../core/settings.js'
import type { LocalNetworkInfo, NetworkSettings, SettingsProfileName } from '../core/settings.js'

const DB_NAME = 'cairn/settings/v1'
const STORE = 'settings'

export interface StoredSettings {
  profile: SettingsProfileName
  profiles: Record<SettingsProfileName, NetworkSettings>
  /** IPIP-499 profile for new adds (each add can override it). */
  addProfile?: string
  /** Peer ID of the local network the local profile was derived from. */
  localPeerId?: string
}

export interface SettingsStore {
  load: () => Promise<StoredSettings>
  save: (settings: StoredSettings) => Promise<void>
  close: () => void
}

async function fetchLocalInfo (url: URL): Promise<LocalNetworkInfo | undefined> {
  try {
    const signal = AbortSignal.timeout(10_000)
    const res = await fetch(url, { cache: 'no-store', signal })
    if (!res.ok) return undefined
    const info = await readJson(res, { maxBytes: MAX_JSON_BYTES, signal }) as Partial<LocalNetworkInfo>
    if (!Array.isArray(info.relayAddrs) || typeof info.routingUrl !== 'string' || typeof info.gatewayUrl !== 'string') return undefined
    for (const key of ['pinningService', 'kuboRpc', 'cluster'] as const) {
      const api = info[key] as { endpoint?: unknown, token?: unknown } | undefined | null
      if (api !== undefined && (typeof api?.endpoint !== 'string' || typeof api.token !== 'string')) delete info[key]
    }
    return info as LocalNetworkInfo
  } catch {
    return undefined
  }
}

/**
 * Open the store. `localInfoUrl` is where a local network describes itself; when it answers, the
 * local profile is refreshed from it (its relay's peer ID may change between runs) and, on a
 * first visit, chosen.
 */
export async function openSettingsStore (localInfoUrl: URL, forcedProfile?: SettingsProfileName): Promise<SettingsStore> {
  const [db, localInfo]: [IDBPDatabase, LocalNetworkInfo | undefined] = await Promise.all([
    openDB(DB_NAME, 1, { upgrade (d) { d.createObjectStore(STORE) } }),
    fetchLocalInfo(localInfoUrl)
  ])
  // Ciphertexts of tokens this device cannot open: kept as they are until the user replaces them.
  let unreadable: Unreadable = new Map()
  return {
    async load () {
      const record = await db.get(STORE, 'current') as SettingsRecord | undefined
      let stored: StoredSettings | undefined
      if (record !== undefined) {
        const opened = await openSettings(record)
        stored = opened.settings
        unreadable = opened.unreadable
        // A record from before tokens were sealed, or before keepers: rewrite it sealed, as it was read.
        if (opened.rewrite) await db.put(STORE, await sealSettings(stored, unreadable), 'current')
      }
      const result: StoredSettings = stored ?? {
        profile: localInfo !== undefined ? 'local' : 'public',
        profiles: { public: structuredClone(PUBLIC_SETTINGS), local: localInfo !== undefined ? localSettings(localInfo) : structuredClone(PUBLIC_SETTINGS) }
      }
      // Re-derive the local profile when the local network is a different one (its relay has a
      // new peer ID); otherwise keep the user's edits to it.
      if (localInfo !== undefined && result.localPeerId !== localInfo.peerId) {
        result.profiles.local = localSettings(localInfo)
        result.localPeerId = localInfo.peerId
      }
      // Settings saved by an older version lack newer fields. A local profile saved before
      // keepers (with or without pinning services) gets every keeper the local network offers.
      // (Its pinning service only if it had none: a user who removed that one keeps it removed.)
      const olderLocal = record === undefined || record.profiles.local?.keepers === undefined
      const hadPinningServices = record?.profiles.local?.pinningServices !== undefined
      for (const p of ['public', 'local'] as const) {
        result.profiles[p].dohResolver ??= ''
        result.profiles[p].keepers ??= []
      }
      // The same local network (a stable peer ID) hands out new tokens, and may listen on new
      // ports, on each start: keep its keepers current, and leave the user's others alone.
      if (localInfo !== undefined) {
        const keepers = result.profiles.local.keepers
        for (const current of localKeepers(localInfo)) {
          const at = keepers.findIndex(k => k.name === current.name && k.kind === current.kind)
          if (at >= 0) keepers[at] = current
          else if (olderLocal && !(current.kind === 'psa' && hadPinningServices)) keepers.push(current)
        }
      }
      if (forcedProfile !== undefined) result.profile = forcedProfile
      return result
    },
    async save (settings) {
      await db.put(STORE, await sealSettings(settings, unreadable), 'current')
    },
    close () { db.close() }
  }
}
