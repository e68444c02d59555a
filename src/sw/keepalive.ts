/**
 * Background keep-alive, as the service worker runs it on a `periodicsync` event: the stored
 * signed records (the newest of each name this device publishes) are sent again, unchanged, to
 * the delegated routers (`PUT /routing/v1/ipns/<name>`) and to the keepers that take records over
 * HTTP (Kubo RPC `POST /api/v0/routing/put?arg=/ipns/<name>`, the record as a multipart file).
 *
 * Nothing is signed here (the keys stay in the page): a record whose signature has expired, or
 * that does not check out, is skipped and counted, and the page re-signs it when it next runs.
 * Pure apart from `fetch`, so tests run it against a real local network.
 */
import { MAX_ERROR_BYTES, readBody } from '../core/http-body.js'
import { withTimeout } from '../core/options.js'
import { putIPNSRecord } from '../ipfs/ipns/delegated.js'
import { inspectRecord } from '../ipfs/ipns/inspect.js'
import { unsealKeeperToken } from '../platform/keepalive-store.js'
import type { HttpKeeperTarget, KeepAliveStore, LastRun, RunResult } from '../platform/keepalive-store.js'

export { PERIODIC_SYNC_TAG } from '../platform/periodic-sync.js'

export interface ResendRecord {
  name: string
  record: Uint8Array
}

export interface ResendTargets {
  routers: string[]
  /** Keepers with their token in plain text (`''` when none). */
  keepers: Array<HttpKeeperTarget & { token: string }>
}

export interface ResendOptions {
  fetch?: typeof globalThis.fetch | undefined
  signal?: AbortSignal | undefined
  /** @default Date.now() */
  now?: number | undefined
  /** Per request. @default 20 s */
  timeoutMs?: number | undefined
}

const DEFAULT_TIMEOUT_MS = 20_000

/** `Authorization` for a keeper token: HTTP Basic for `user:password`, else a bearer token. */
export function authorization (token: string): string | undefined {
  if (token === '') return undefined
  if (token.includes(':')) return `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(token)))}`
  return `Bearer ${token}`
}

/** Kubo RPC `routing/put` of one record; throws an Error whose message says what the keeper answered. */
export async function kuboRoutingPut (keeper: HttpKeeperTarget & { token: string }, name: string, record: Uint8Array, options: ResendOptions = {}): Promise<void> {
  const base = new URL(keeper.endpoint)
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}/api/v0/routing/put?arg=${encodeURIComponent(`/ipns/${name}`)}`
  const form = new FormData()
  form.append('file', new Blob([new Uint8Array(record)], { type: 'application/octet-stream' }), 'record')
  const headers: Record<string, string> = {}
  const auth = authorization(keeper.token)
  if (auth !== undefined) headers.authorization = auth
  const ms = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const { signal, clear } = withTimeout(options.signal, ms)
  try {
    const f = options.fetch ?? globalThis.fetch
    let res: Response
    try {
      res = await f(url, { method: 'POST', headers, body: form, signal })
    } catch (err) {
      if (signal.aborted && options.signal?.aborted !== true) throw new Error(`${keeper.name} did not answer within ${ms} ms`, { cause: err })
      throw new Error(`could not reach ${keeper.name} (${(err as Error).message})`, { cause: err })
    }
    const body = await readBody(res, { maxBytes: MAX_ERROR_BYTES, signal, what: `The answer of ${keeper.name}` }).catch(() => new Uint8Array())
    if (!res.ok) {
      const text = new TextDecoder().decode(body.subarray(0, 300))
      throw new Error(`${keeper.name} refused the record: ${res.status} ${res.statusText}${text === '' ? '' : `: ${text}`}`)
    }
  } finally {
    clear()
  }
}

/**
 * Sends every still valid record to every target. Reports per target and never throws for a
 * target's failure (only for an abort of `signal`).
 */
export async function resendRecords (records: ResendRecord[], targets: ResendTargets, options: ResendOptions = {}): Promise<Omit<LastRun, 'skipped'>> {
  const now = options.now ?? Date.now()
  const results: RunResult[] = []
  let sent = 0
  let expired = 0
  const http = { ...(options.fetch !== undefined ? { fetch: options.fetch } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}), timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }
  for (const { name, record } of records) {
    // Only a record that still checks out (signature, name, EOL) is worth sending: routers refuse
    // the others, and an expired record must be re-signed by the page that holds the key.
    const verdict = await inspectRecord(record, { name, now })
    if (!verdict.valid) {
      expired++
      results.push({ name, target: 'this device', ok: false, error: `not sent: ${verdict.message}` })
      continue
    }
    sent++
    const sends = [
      ...targets.routers.map(router => ({ target: router, send: async () => { await putIPNSRecord(router, verdict.name, record, http) } })),
      ...targets.keepers.map(keeper => ({ target: keeper.name, send: async () => { await kuboRoutingPut(keeper, verdict.name.k51, record, options) } }))
    ]
    results.push(...await Promise.all(sends.map(async ({ target, send }): Promise<RunResult> => {
      try {
        await send()
        return { name, target, ok: true }
      } catch (err) {
        options.signal?.throwIfAborted()
        return { name, target, ok: false, error: (err as Error).message }
      }
    })))
  }
  return { at: now, sent, expired, results }
}

/**
 * One background round: reads the stored records and targets, opens each keeper's sealed token
 * (a keeper whose token this worker cannot open is skipped, with the reason logged and kept),
 * re-sends, and stores what happened for the Names page.
 */
export async function runKeepAlive (store: KeepAliveStore, options: ResendOptions = {}): Promise<LastRun> {
  const [records, targets] = await Promise.all([store.records(), store.targets()])
  const skipped: LastRun['skipped'] = []
  const keepers: ResendTargets['keepers'] = []
  for (const k of targets?.keepers ?? []) {
    try {
      keepers.push({ name: k.name, kind: k.kind, endpoint: k.endpoint, token: await unsealKeeperToken(k) })
    } catch (err) {
      const reason = `the background worker could not unseal its token (${(err as Error).message}); open Cairn to keep the name alive there, or save the keeper again in Settings`
      console.warn(`Cairn keep-alive: skipping keeper ${k.name}: ${reason}`)
      skipped.push({ keeper: k.name, reason })
    }
  }
  const run = { ...await resendRecords(records, { routers: targets?.routers ?? [], keepers }, options), skipped }
  await store.putLastRun(run)
  return run
}
