/**
 * The record keeper: the local network peer re-sends every IPNS record it holds, unchanged, for as
 * long as the record is valid: to each upstream Delegated Routing V1 router (`PUT
 * /routing/v1/ipns/<name>`) and to each connected peer that takes records (Kademlia PUT_VALUE).
 * That keeps a name resolvable elsewhere while its publisher (a tab) is closed.
 *
 * When: a record is sent again before its TTL runs out (at 3/4 of it) and before its validity does
 * (at half the time left), never more often than `minIntervalMs`, and no more once its validity
 * has ended (then it is dropped from the router and its datastore). One unref'd timer wakes for the earliest due record; each
 * wake sends at most `batchSize` records, `concurrency` at a time.
 */
import { emit } from '../../core/options.js'
import { nameFromRoutingKey } from '../../ipfs/ipns/held-records.js'
import { inspectRecord } from '../../ipfs/ipns/inspect.js'
import { LIBP2P_TARGET, recordSinks } from '../../ipfs/ipns/sources.js'
import type { HeldRecord, LocalRouter } from './local-router.js'
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import type { RecordNetwork } from '../../ipfs/ipns/libp2p.js'
import type { IPNSName } from '../../ipfs/ipns/names.js'

export type RecordKeeperEvents =
  | ProgressEvent<'network:ipns:resend', { name: string, sequence: string, target: string, ok: boolean, error?: string | undefined }>
  | ProgressEvent<'network:ipns:expired', { name: string }>

export interface RecordKeeperInit {
  router: Pick<LocalRouter, 'held' | 'onRecord' | 'drop'>
  /** Delegated Routing V1 base URLs the records go to. */
  routers: string[]
  /** The peer's libp2p node: records also go to its connected peers that speak Kademlia. */
  libp2p?: RecordNetwork | undefined
  fetch?: typeof globalThis.fetch | undefined
}

export interface RecordKeeperOptions extends OperationOptions<RecordKeeperEvents> {
  /** A record is sent at most this often, whatever its TTL. Default 60 s. */
  minIntervalMs?: number | undefined
  /** Records sent at once. Default 4. */
  concurrency?: number | undefined
  /** Records sent per wake; more wait for the next one. Default 64. */
  batchSize?: number | undefined
  /** Per-target request timeout. Default 10 s. */
  timeoutMs?: number | undefined
}

/** setTimeout's longest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1

/**
 * When to send a record last sent (or received) at `lastAt` again, or undefined when not again:
 * before 3/4 of its TTL and half its remaining validity have passed, at least `minIntervalMs` on.
 */
export function nextSendAt (now: number, lastAt: number, ttlMs: number, expiresAt: number, minIntervalMs: number): number | undefined {
  const period = Math.max(minIntervalMs, Math.min(ttlMs * 0.75, (expiresAt - lastAt) / 2))
  const at = Math.max(now, lastAt + period)
  return at < expiresAt ? at : undefined
}

interface Entry {
  held: HeldRecord
  name: IPNSName
  sequence: bigint
  ttlMs: number
  expiresAt: number
  /** When it is due; Infinity while being sent. */
  at: number
}

function entryKey (key: Uint8Array): string {
  return Buffer.from(key).toString('base64')
}

export class RecordKeeper {
  readonly #init: RecordKeeperInit
  readonly #options: RecordKeeperOptions
  readonly #minIntervalMs: number
  readonly #entries = new Map<string, Entry>()
  readonly #controller = new AbortController()
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<void> | undefined
  #unsubscribe: (() => void) | undefined
  #stopped = false

  constructor (init: RecordKeeperInit, options: RecordKeeperOptions = {}) {
    this.#init = init
    this.#options = options
    this.#minIntervalMs = options.minIntervalMs ?? 60_000
    options.signal?.addEventListener('abort', () => { void this.stop() }, { once: true })
  }

  /** Schedules every record held now, and each one the router takes from now on. */
  async start (): Promise<void> {
    if (this.#stopped || this.#unsubscribe !== undefined) return
    this.#unsubscribe = this.#init.router.onRecord((held) => { void this.#schedule(held, held.receivedAt) })
    for (const held of this.#init.router.held()) await this.#schedule(held, held.receivedAt)
  }

  /** How many records are scheduled. */
  get size (): number {
    return this.#entries.size
  }

  /** Clears the timer and cancels the sends in flight; resolves once they have ended. */
  async stop (): Promise<void> {
    this.#stopped = true
    this.#unsubscribe?.()
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#controller.abort(new Error('The local network is stopping.'))
    await this.#running
  }

  async #schedule (held: HeldRecord, lastAt: number): Promise<void> {
    if (this.#stopped) return
    const k = entryKey(held.key)
    let verdict
    try {
      verdict = await inspectRecord(held.record, { name: nameFromRoutingKey(held.key), now: Date.now() })
    } catch {
      this.#entries.delete(k)
      return
    }
    if (!verdict.valid) {
      this.#entries.delete(k)
      return
    }
    const entry: Entry = { held, name: verdict.name, sequence: verdict.sequence, ttlMs: verdict.ttlMs, expiresAt: verdict.expiresAt, at: 0 }
    // not to be sent again: woken once more when its validity ends, to drop it from the store
    entry.at = nextSendAt(Date.now(), lastAt, entry.ttlMs, entry.expiresAt, this.#minIntervalMs) ?? entry.expiresAt
    this.#entries.set(k, entry)
    this.#arm()
  }

  #arm (): void {
    if (this.#stopped || this.#running !== undefined) return
    let first = Infinity
    for (const e of this.#entries.values()) first = Math.min(first, e.at)
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    if (first === Infinity) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#running = this.#wake().finally(() => {
        this.#running = undefined
        this.#arm()
      })
    }, Math.min(MAX_DELAY_MS, Math.max(0, first - Date.now())))
    this.#timer.unref?.()
  }

  async #wake (): Promise<void> {
    const now = Date.now()
    const due = [...this.#entries.values()].filter(e => e.at <= now).sort((a, b) => a.at - b.at).slice(0, this.#options.batchSize ?? 64)
    for (const e of due) e.at = Infinity
    const concurrency = Math.max(1, this.#options.concurrency ?? 4)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < due.length && !this.#stopped) {
        const entry = due[next++] as Entry
        await this.#send(entry)
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker))
  }

  async #send (entry: Entry): Promise<void> {
    const k = entryKey(entry.held.key)
    if (Date.now() >= entry.expiresAt) {
      this.#entries.delete(k)
      await this.#init.router.drop(entry.held.key)
      emit(this.#options, 'network:ipns:expired', { name: entry.name.k51 })
      return
    }
    const signal = this.#controller.signal
    const targets = { routers: this.#init.routers, libp2p: this.#init.libp2p, fetch: this.#init.fetch }
    const sinks = (await recordSinks(targets, entry.name, entry.held.record, { signal, timeoutMs: this.#options.timeoutMs ?? 10_000 }))
      .filter(s => s.target !== LIBP2P_TARGET)
    const name = entry.name.k51
    const sequence = entry.sequence.toString()
    await Promise.all(sinks.map(async (sink) => {
      try {
        await sink.put()
        emit(this.#options, 'network:ipns:resend', { name, sequence, target: sink.target, ok: true })
      } catch (err) {
        if (signal.aborted) return
        emit(this.#options, 'network:ipns:resend', { name, sequence, target: sink.target, ok: false, error: (err as Error).message })
      }
    }))
    // a newer record for the name may have come in meanwhile: that one has its own schedule
    if (this.#entries.get(k) === entry) await this.#schedule(entry.held, Date.now())
  }
}
