/**
 * Network settings: everything the node may contact. Nothing is implied: an empty list means the
 * node contacts nobody of that kind. The app keeps these in IndexedDB (see platform/settings-store).
 */
export interface NetworkSettings {
  /** Multiaddrs dialled at start and kept connected (peer ID included, e.g. `/ip4/…/ws/p2p/12D3…`). */
  bootstrap: string[]
  /** Circuit relays to hold a reservation on, so others can reach this node (`/p2p-circuit`). */
  relays: string[]
  /** Delegated Routing V1 HTTP endpoints (providers, peers, IPNS). */
  delegatedRouters: string[]
  /** Trustless HTTP gateways, tried in order. */
  gateways: string[]
  /** STUN/TURN URLs for WebRTC (`stun:host:port`). */
  stunServers: string[]
  /** Public (path/subdomain) gateway used for share links, e.g. `https://example.net`. */
  publicGateway: string
  /** DNS-over-HTTPS endpoint (JSON API) for DNSLink; empty turns DNSLink off. */
  dohResolver: string
  /**
   * Keepers (Kubo, IPFS Cluster, Pinning Service API services, S3 buckets) that data, backups and
   * names can be pushed to. Each is contacted only when the user pushes to it or checks on it.
   */
  keepers: KeeperSettings[]
}

/**
 * One IPFS Pinning Service API endpoint and its access token: how Settings stored pinning services
 * before keepers (each becomes a `psa` keeper when such settings are read).
 */
export interface PinningServiceSettings {
  /** Shown in the UI and in messages, e.g. `local network`. Unique within a profile. */
  name: string
  /** The API base URL: requests go to `<endpoint>/pins`. */
  endpoint: string
  /** Sent as `Authorization: Bearer <token>`. Plain in memory only: stored sealed (platform/settings-secrets.ts). */
  token: string
}

/** The name given to the local network's pinning service in the local profile. */
export const LOCAL_PINNING_SERVICE_NAME = 'local network'
/** The names given to the local network's keepers in the local profile, by kind. */
export const LOCAL_KEEPER_NAMES = { psa: LOCAL_PINNING_SERVICE_NAME, kubo: 'local Kubo', cluster: 'local Cluster' } as const

export type SettingsProfileName = 'public' | 'local'

export const EMPTY_SETTINGS: NetworkSettings = {
  bootstrap: [],
  relays: [],
  delegatedRouters: [],
  gateways: [],
  stunServers: [],
  publicGateway: '',
  dohResolver: '',
  keepers: []
}

/**
 * Defaults for real use on the public network. Each entry is a well-known public service; users
 * can remove any of them in Settings.
 */
export const PUBLIC_SETTINGS: NetworkSettings = {
  bootstrap: [
    '/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN',
    '/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa',
    '/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb',
    '/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt'
  ],
  relays: [],
  delegatedRouters: ['https://delegated-ipfs.dev'],
  gateways: ['https://trustless-gateway.link', 'https://4everland.io'],
  stunServers: ['stun:stun.l.google.com:19302', 'stun:global.stun.twilio.com:3478'],
  publicGateway: 'https://dweb.link',
  dohResolver: 'https://cloudflare-dns.com/dns-query',
  keepers: []
}

/** What the local network (`npm start`, tests) publishes at `/cairn-local.json`. */
export interface LocalNetworkInfo {
  peerId: string
  relayAddrs: string[]
  routingUrl: string
  gatewayUrl: string
  /**
   * The local network's IPFS Pinning Service API (absent from older local networks). The token is
   * readable only by the app's own pages (the network's CORS allow-list) and clients that are not
   * pages; the settings store keeps it sealed under the device key, like every token.
   */
  pinningService?: { endpoint: string, token: string } | undefined
  /**
   * The local network's Kubo RPC subset (`<endpoint>/api/v0/…`: dag/import, pin/ls, routing/put, …)
   * and IPFS Cluster REST subset (`<endpoint>/add?format=car`, `<endpoint>/pins/<cid>`), with the
   * token they take (`Authorization: Bearer <token>`). Absent from older local networks.
   */
  kuboRpc?: { endpoint: string, token: string } | undefined
  cluster?: { endpoint: string, token: string } | undefined
}

/**
 * A keeper configured in Settings: an engine people already run that holds data (and, for Kubo,
 * IPNS records) after the tab closes. See src/ipfs/push/keeper.ts.
 * - `kubo`: Kubo RPC API base (`http://127.0.0.1:5001`); `/api/v0/…` is appended.
 * - `cluster`: IPFS Cluster REST API base (`http://127.0.0.1:9094`).
 * - `psa`: IPFS Pinning Service API endpoint (requests go to `<endpoint>/pins`).
 * - `s3`: S3-compatible endpoint that imports CARs (Filebase: `https://s3.filebase.com`), with
 *   `bucket`, `region` and `accessKeyId`; `token` is the secret access key.
 * `token` is sent as HTTP Basic when it is `user:password` (kubo, cluster), else as a Bearer token.
 * Plain in memory only: stored sealed (platform/settings-secrets.ts).
 */
export interface KeeperSettings {
  kind: 'kubo' | 'cluster' | 'psa' | 's3'
  /** Shown in the UI and in messages. Unique within a profile. */
  name: string
  endpoint: string
  token: string
  bucket?: string | undefined
  region?: string | undefined
  accessKeyId?: string | undefined
}

export type KeeperSettingsKind = KeeperSettings['kind']
export const KEEPER_KINDS: readonly KeeperSettingsKind[] = ['kubo', 'cluster', 'psa', 's3']

/** The local network's pinning service as a Settings entry, when it offers one. */
export function localPinningService (info: LocalNetworkInfo): PinningServiceSettings | undefined {
  const p = info.pinningService
  if (p === undefined || typeof p.endpoint !== 'string' || typeof p.token !== 'string') return undefined
  return { name: LOCAL_PINNING_SERVICE_NAME, endpoint: p.endpoint, token: p.token }
}

/** The keepers the local network offers (its pinning service, Kubo RPC and Cluster API), in that order. */
export function localKeepers (info: LocalNetworkInfo): KeeperSettings[] {
  const out: KeeperSettings[] = []
  const offered: Array<[keyof typeof LOCAL_KEEPER_NAMES, { endpoint: string, token: string } | undefined]> = [
    ['psa', info.pinningService], ['kubo', info.kuboRpc], ['cluster', info.cluster]
  ]
  for (const [kind, api] of offered) {
    if (api === undefined || api === null || typeof api.endpoint !== 'string' || typeof api.token !== 'string') continue
    out.push({ kind, name: LOCAL_KEEPER_NAMES[kind], endpoint: api.endpoint, token: api.token })
  }
  return out
}

/** An old pinning-service entry as the `psa` keeper it becomes. */
export function keeperFromPinningService (p: PinningServiceSettings): KeeperSettings {
  return { kind: 'psa', name: p.name, endpoint: p.endpoint, token: p.token }
}

/** Settings for the local profile, derived from the local network's self-description. */
export function localSettings (info: LocalNetworkInfo): NetworkSettings {
  return {
    bootstrap: [...info.relayAddrs],
    relays: [...info.relayAddrs],
    delegatedRouters: [info.routingUrl],
    gateways: [info.gatewayUrl],
    stunServers: [],
    publicGateway: info.gatewayUrl,
    dohResolver: '',
    keepers: localKeepers(info)
  }
}

/** Validate settings entered by a user; returns a list of problems, empty when fine. */
export function validateSettings (s: NetworkSettings): string[] {
  const problems: string[] = []
  const isMultiaddr = (a: string): boolean => a.startsWith('/')
  for (const a of [...s.bootstrap, ...s.relays]) {
    if (!isMultiaddr(a)) problems.push(`"${a}" is not a multiaddr: it should start with "/", e.g. /dns4/relay.example/tcp/443/wss/p2p/12D3…`)
    else if (!a.includes('/p2p/')) problems.push(`"${a}" has no peer ID: add /p2p/<peer id> at the end`)
  }
  for (const u of [...s.delegatedRouters, ...s.gateways, ...[s.publicGateway, s.dohResolver ?? ''].filter(u => u !== '')]) {
    try {
      const url = new URL(u)
      if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`"${u}" must be an http(s) URL`)
    } catch {
      problems.push(`"${u}" is not a URL: write it as https://host[:port]`)
    }
  }
  for (const u of s.stunServers) {
    if (!/^(stun|turns?):/.test(u)) problems.push(`"${u}" is not a STUN/TURN URL: write it as stun:host:port`)
  }
  problems.push(...validateKeepers(s.keepers ?? []))
  return problems
}

const KIND_NAMES: Record<KeeperSettingsKind, string> = { kubo: 'Kubo node', cluster: 'IPFS Cluster', psa: 'pinning service', s3: 'S3 bucket' }

/** Each keeper's fields, as its kind needs them; messages name the keeper and say what to write. */
export function validateKeepers (keepers: KeeperSettings[]): string[] {
  const problems: string[] = []
  const names = new Set<string>()
  for (const k of keepers) {
    const what = KIND_NAMES[k.kind]
    if (what === undefined) {
      problems.push(`keeper "${k.name}" has an unknown kind "${String(k.kind)}": choose Kubo, Cluster, pinning service or S3`)
      continue
    }
    const name = k.name.trim()
    const label = name === '' ? `the ${what} at "${k.endpoint}"` : `${what} "${name}"`
    if (name === '') problems.push(`${label} has no name: give it one, e.g. its host`)
    else if (names.has(name)) problems.push(`two keepers are named "${name}": give each a different name`)
    names.add(name)
    const example = k.kind === 'kubo' ? 'http://127.0.0.1:5001' : k.kind === 'cluster' ? 'http://127.0.0.1:9094' : k.kind === 's3' ? 'https://s3.example' : 'https://host[/path]'
    try {
      const url = new URL(k.endpoint)
      if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`${label}: "${k.endpoint}" must be an http(s) URL`)
      else if (url.username !== '' || url.password !== '') problems.push(`${label}: put the credentials in their own field, not in the URL`)
      else if (url.search !== '' || url.hash !== '') problems.push(`${label}: "${k.endpoint}" should have no ?query or #fragment: write the API base, e.g. ${example}`)
    } catch {
      problems.push(`${label}: "${k.endpoint}" is not a URL: write the API base as ${example}`)
    }
    if (k.kind === 'psa' && k.token.trim() === '') problems.push(`${label} has no access token: paste the token the service gave you`)
    if (k.kind === 's3') {
      const bucket = (k.bucket ?? '').trim()
      if (bucket === '') problems.push(`${label} has no bucket: write the bucket's name`)
      else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`${label}: "${bucket}" is not a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens`)
      if ((k.accessKeyId ?? '').trim() === '') problems.push(`${label} has no access key ID: paste the key ID the provider gave you`)
      if (k.token.trim() === '') problems.push(`${label} has no secret access key: paste the secret that goes with the key ID`)
      const region = (k.region ?? '').trim()
      if (region !== '' && !/^[a-z0-9-]+$/.test(region)) problems.push(`${label}: "${region}" is not a region: write it as e.g. us-east-1, or leave it empty`)
    }
  }
  return problems
}
