/**
 * Many keys of one IndexedDB object store in few requests, inside the caller's transaction.
 *
 * In Chromium every IndexedDB request is a round trip to the browser process (about 0.2–1 ms
 * each on a busy machine), whatever the transaction: 10,000 gets or deletes cost seconds even in
 * one transaction. A key range is one request for any number of keys, so:
 * - `readMany` reads the span between the smallest and largest key at once when the keys fill
 *   most of it (one count, then one getAllKeys and one getAll), else one get per key;
 * - `deleteMany` deletes each run of consecutive keys (in key order) with one range request, after
 *   checking in the same transaction that the range holds exactly those keys; a run it cannot
 *   check is deleted key by key.
 */
import type { IDBPObjectStore } from 'idb'

export type RwStore = IDBPObjectStore<unknown, [string], string, 'readwrite'>

/** Above this many keys, a dense span is read with a range. */
const RANGE_MIN = 32

function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The values of `keys` (`undefined` where missing), and, when the span was read as a range, every
 * key in it in order (for `deleteMany`'s runs).
 */
export async function readMany (store: RwStore, keys: string[]): Promise<{ values: unknown[], span?: string[] }> {
  if (keys.length >= RANGE_MIN) {
    const sorted = [...new Set(keys)].sort(compare)
    const range = IDBKeyRange.bound(sorted[0]!, sorted[sorted.length - 1]!)
    const count = await store.count(range)
    // Reading the span costs two requests; worth it while the span is mostly wanted keys.
    if (count <= sorted.length * 2) {
      const [spanKeys, spanValues] = await Promise.all([store.getAllKeys(range), store.getAll(range)])
      const byKey = new Map<string, unknown>()
      const span: string[] = []
      spanKeys.forEach((k, i) => { if (typeof k === 'string') { byKey.set(k, spanValues[i]); span.push(k) } })
      return { values: keys.map(k => byKey.get(k)), span }
    }
  }
  return { values: await Promise.all(keys.map(async k => store.get(k) as Promise<unknown>)) }
}

export interface DeleteOptions {
  /** Each deleted key's value size in bytes is measured (read before it is deleted). */
  measure?: boolean | undefined
  /** Every key of the store in order, as listed earlier: runs of consecutive keys come from it. */
  listed?: string[] | undefined
  /** At most this many keys per range (bounds what one getAll holds when measuring). */
  maxRun?: number | undefined
}

function sizeOf (value: unknown): number {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return value.byteLength
  return 0
}

/**
 * Delete `doomed` keys; returns the size of each one that was there (0 when not measured), by key.
 * Runs are taken from `listed` (keys between two doomed keys that are not doomed break a run); a
 * range is deleted only if it holds exactly the run's keys now, else key by key.
 */
export async function deleteMany (store: RwStore, doomed: string[], options: DeleteOptions = {}): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const doomedSet = new Set(doomed)
  const maxRun = Math.max(1, options.maxRun ?? 1024)
  const runs: string[][] = []
  if (options.listed !== undefined) {
    let run: string[] = []
    for (const k of options.listed) {
      if (doomedSet.has(k) && run.length < maxRun) { run.push(k); continue }
      if (run.length > 0) runs.push(run)
      run = doomedSet.has(k) ? [k] : []
    }
    if (run.length > 0) runs.push(run)
    const inRuns = new Set(runs.flat())
    for (const k of doomedSet) if (!inRuns.has(k)) runs.push([k])
  } else {
    for (const k of doomedSet) runs.push([k])
  }
  const singles: string[] = []
  for (const run of runs) {
    if (run.length < 3) { singles.push(...run); continue }
    const range = IDBKeyRange.bound(run[0]!, run[run.length - 1]!)
    const [keys, values] = await Promise.all([store.getAllKeys(range), options.measure === true ? store.getAll(range) : Promise.resolve(undefined)])
    if (keys.length !== run.length || keys.some((k, i) => k !== run[i])) {
      // Changed since it was listed: only the keys asked for, one by one.
      singles.push(...run)
      continue
    }
    await store.delete(range)
    run.forEach((k, i) => out.set(k, values === undefined ? 0 : sizeOf(values[i])))
  }
  await Promise.all(singles.map(async k => {
    const value: unknown = options.measure === true ? await store.get(k) : await store.getKey(k)
    if (value === undefined) return
    await store.delete(k)
    out.set(k, options.measure === true ? sizeOf(value) : 0)
  }))
  return out
}
