/**
 * The composition root: settings, the node, storage status, and the actions the views call.
 * The views import only this module (and core/ types).
 */
import { createStore } from './store.js'
import { createNodeService, preload, DEFAULT_STORES } from './node-service.js'
import { createFilesService } from './files-service.js'
import { createNamesService } from './names-service.js'
import { createBackupsService } from './backups-service.js'
import { createKeepersService } from './keepers-service.js'
import { InvalidSettingsError } from './errors.js'
import { validateSettings } from '../core/settings.js'
import { openSettingsStore } from '../platform/settings-store.js'
import { requestPersistence, storageStatus } from '../platform/storage.js'
import { registerServiceWorker } from '../platform/sw-register.js'
import type { ServiceWorkerHandle } from '../platform/sw-register.js'
import type { FetchEvents, FetchedBytes } from '../ipfs/fetch/index.js'
import type { Store } from './store.js'
import type { NodeService, NodeStores } from './node-service.js'
import type { FilesService } from './files-service.js'
import type { NamesService } from './names-service.js'
import type { BackupsService } from './backups-service.js'
import type { KeepersService } from './keepers-service.js'
import type { StoredSettings, SettingsStore } from '../platform/settings-store.js'
import type { StorageStatus } from '../platform/storage.js'
import type { KeeperSettings, SettingsProfileName } from '../core/settings.js'
import type { AbortOptions, OperationOptions } from '../core/options.js'

export type { NodeState, NodeStatus } from './node-service.js'
export type { StoredSettings } from '../platform/settings-store.js'
export type { StorageStatus } from '../platform/storage.js'
export type { ConnectionInfo, TransportName } from '../ipfs/peers.js'
export type { NamesService, NameRow, PublishOutcome, ResolveOutcome, InspectOutcome, BackgroundState, BackgroundStatus, KeeperRecordResult } from './names-service.js'
export type { FilesService, LibraryRow, BrowseEntry, TransferProgress, ShareLinks } from './files-service.js'
export type { BackupsService, PushStatus, PushTarget, RepoRow, SnapshotRow, SkippedSnapshot, OpenRepoView, TreeRow, BackupResult, ForgetResult, ForgetPolicy, PruneResult, PasswordStrength, PasswordRater, RestoreTarget, RestoreOutcome, FindHit, FindEvents, DiffChangeRow, DiffSummary, DiffEvents, DiffStat, ChangeKind, SnapshotSort, SnapshotSortKey, SnapshotTableFilter } from './backups-service.js'
export { loadPasswordRater, viewSnapshots, snapshotFacets, nextSort, DEFAULT_SORT } from './backups-service.js'
export type { KeepersService, KeeperRow, KeptAnswer, TargetStatus, RecordPushResult } from './keepers-service.js'
export type { KeeperSettings } from '../core/settings.js'
export { KEEPER_KINDS, validateKeepers } from '../core/settings.js'
export type { PickedEntry } from '../platform/file-sources.js'
export { fromDataTransfer, fromDirectoryHandle, fromFileList } from '../platform/file-sources.js'
export { copyText, isSaveDismissed, saveBytes } from '../platform/save-file.js'
export { previewKind, sandboxedContentUrl } from './content-kind.js'
export { isAbortError } from '../core/errors.js'
export { dropLockedStreamCancels } from '../platform/known-rejections.js'
export { shownStatus } from './node-service.js'

export interface AppInit {
  /** Where a local network describes itself; default `./cairn-local.json` next to the page. */
  localInfoUrl: URL
  /** Force a profile (from `?profile=`), overriding the stored choice for this visit. */
  profile?: SettingsProfileName
  stores?: NodeStores
}

export interface App {
  settings: Store<StoredSettings | undefined>
  storage: Store<StorageStatus | undefined>
  node: NodeService
  files: FilesService
  names: NamesService
  backups: BackupsService
  /** Push CIDs and records to keepers; "where is this kept?". */
  keepers: KeepersService
  /** Load settings and start the node. */
  start: () => Promise<void>
  /** Validate, persist and apply settings (restarts the node). */
  saveSettings: (next: StoredSettings) => Promise<void>
  refreshStorage: () => Promise<void>
  persistStorage: () => Promise<boolean>
  serviceWorker: Store<ServiceWorkerHandle | undefined>
  /** A new version of the app is installed and waiting. */
  updateAvailable: Store<boolean>
  applyUpdate: () => Promise<void>
  /** Verified retrieval: local blocks, then peers, then the trustless gateways in Settings order. */
  fetchContent: (address: string, options?: OperationOptions<FetchEvents>) => Promise<FetchedBytes>
  /** Raw blocks, for tests and the console (`cairn.blocks`). */
  blocks: {
    put: (bytes: Uint8Array) => Promise<string>
    get: (cid: string, options?: AbortOptions) => Promise<Uint8Array>
    has: (cid: string) => Promise<boolean>
  }
}

/** A keeper as the user knows it: the name given in Settings, and where it is. */
export function keeperTitle (k: { name: string, label: string }): string {
  return k.name === '' || k.label.includes(k.name) ? k.label : `${k.name} (${k.label})`
}

export function createApp (init: AppInit): App {
  const settings = createStore<StoredSettings | undefined>(undefined)
  const storage = createStore<StorageStatus | undefined>(undefined)
  const stores = init.stores ?? DEFAULT_STORES
  const node = createNodeService(stores)
  const files = createFilesService(node, stores, () => { void app.refreshStorage() }, () => { const s = settings.get(); return s === undefined ? undefined : s.profiles[s.profile] }, async (name, options) => await names.resolve(name, options))
  const names = createNamesService(() => { const s = settings.get(); return s === undefined ? undefined : s.profiles[s.profile] }, () => {
    try { return node.node().libp2p } catch { return undefined }
  }, {
    // Routers and connected record peers get every record through publish itself; every keeper
    // that holds records (Kubo, pinning peers) gets it here, one result per keeper.
    handRecord: async (name, record, options) => (await keepers.pushRecordToKeepers(name, record, options))
      .map(r => ({ keeper: keeperTitle(r.keeper), ok: r.ok, ...(r.ok ? {} : { error: r.message }) })),
    // The Kubo keepers in Settings, for the service worker's background keep-alive:
    httpKeepers: () => {
      const s = settings.get()
      const listed = s === undefined ? undefined : (s.profiles[s.profile] as { keepers?: KeeperSettings[] }).keepers
      return (listed ?? []).flatMap(k => k.kind === 'kubo' ? [{ name: k.name, kind: k.kind, endpoint: k.endpoint, token: k.token }] : [])
    }
  })
  // Each node the page starts holds records for the names this page follows.
  let served: unknown
  node.state.subscribe((s) => {
    if (s.status !== 'online') return
    const libp2p = node.node().libp2p
    if (served === libp2p) return
    served = libp2p
    names.serveRecords(libp2p).catch((err: unknown) => { console.warn('Cairn: IPNS records cannot be served to peers', err) })
  })
  const keepers = createKeepersService(node, () => { const s = settings.get(); return s === undefined ? undefined : s.profiles[s.profile] })
  const backups = createBackupsService(node, names, keepers, () => { const s = settings.get(); return s === undefined ? undefined : s.profiles[s.profile] }, () => { void app.refreshStorage() })
  let store: SettingsStore | undefined

  const active = (s: StoredSettings) => s.profiles[s.profile]
  const serviceWorker = createStore<ServiceWorkerHandle | undefined>(undefined)
  const updateAvailable = createStore(false)
  const sendGateways = (s: StoredSettings | undefined): void => {
    const sw = serviceWorker.get()
    if (sw === undefined || s === undefined) return
    sw.setGateways(active(s).gateways).catch((err: unknown) => { console.warn('Cairn: the service worker did not take the gateways', err) })
  }
  const startServiceWorker = (): void => {
    registerServiceWorker().then((sw) => {
      serviceWorker.set(sw)
      sw.addEventListener('update-available', () => { updateAvailable.set(true) })
      if (sw.updateAvailable) updateAvailable.set(true)
      sendGateways(settings.get())
    }).catch((err: unknown) => { console.warn('Cairn: no offline support:', (err as Error).message) })
  }

  const app: App = {
    settings,
    storage,
    node,
    files,
    names,
    backups,
    keepers,
    serviceWorker,
    updateAvailable,
    async applyUpdate () { await serviceWorker.get()?.applyUpdate() },
    async fetchContent (address, options = {}) {
      const [{ fetchBytes, peersFromNode }, { NameStateStore }] = await Promise.all([import('../ipfs/fetch/index.js'), import('../ipfs/ipns/index.js')])
      const current = settings.get()
      if (current === undefined) throw new InvalidSettingsError('Settings are still loading; try again in a moment.')
      const n = node.node()
      const s = active(current)
      return await fetchBytes({
        blockstore: n.blockstore,
        gateways: s.gateways,
        peers: peersFromNode(n),
        ipns: { state: new NameStateStore(n.datastore), routers: s.delegatedRouters },
        ...(s.dohResolver !== '' ? { dohEndpoint: s.dohResolver } : {})
      }, address, { signal: options.signal ?? AbortSignal.timeout(60_000), onProgress: options.onProgress })
    },
    async start () {
      // Ask for the settings first (`cairn-local.json` must not queue behind the node's chunks on
      // the browser's few connections), then fetch the node's code while they load.
      const opening = openSettingsStore(init.localInfoUrl, init.profile)
      void preload()
      store = await opening
      const loaded = await store.load()
      settings.set(loaded)
      performance.mark('cairn:settings-loaded')
      void app.refreshStorage()
      // First visit: keep the chosen profile, so an offline reload (no cairn-local.json) keeps it.
      void store.save(loaded).catch((err: unknown) => { console.warn('Cairn: settings could not be saved', err) })
      try {
        await node.start(active(loaded))
      } finally {
        // After the node's start, so the precache does not compete with it; even when it failed.
        startServiceWorker()
      }
      void files.refreshLibrary()
      void names.refresh().then(() => { names.startKeepAlive() }).catch((err: unknown) => { console.warn('IPNS keys could not be loaded', err) })
    },
    async saveSettings (next) {
      const problems = validateSettings(active(next))
      if (problems.length > 0) throw new InvalidSettingsError(`Settings not saved: ${problems.join('; ')}.`)
      if (store === undefined) throw new InvalidSettingsError('Settings are still loading; try again in a moment.')
      await store.save(next)
      settings.set(next)
      sendGateways(next)
      await node.start(active(next))
    },
    async refreshStorage () {
      storage.set(await storageStatus())
    },
    async persistStorage () {
      const granted = await requestPersistence()
      await app.refreshStorage()
      return granted
    },
    blocks: {
      async put (bytes) {
        const { putRawBlock } = await import('../ipfs/blocks.js')
        const cid = await putRawBlock(node.node().blockstore, bytes)
        void app.refreshStorage()
        return cid.toString()
      },
      async get (cid, options = {}) {
        const [{ getBlock }, { CID }] = await Promise.all([import('../ipfs/blocks.js'), import('multiformats/cid')])
        return getBlock(node.node().blockstore, CID.parse(cid), { signal: options.signal ?? AbortSignal.timeout(30_000) })
      },
      async has (cid) {
        const { CID } = await import('multiformats/cid')
        return node.node().blockstore.has(CID.parse(cid))
      }
    }
  }
  return app
}
