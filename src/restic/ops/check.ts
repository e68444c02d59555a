/**
 * `check`: structural consistency (index, packs, snapshots, trees) and, with `readData`, every
 * pack's hash, header and blobs. Mirrors what restic 0.14's checker verifies.
 */
import type { OperationOptions, ProgressEvent } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { InvalidInputError, isAbortError } from '../../core/errors.js'
import { packSize } from '../pack/header.js'
import type { PackedBlob } from '../pack/header.js'
import { parseHeader } from '../pack/header.js'
import type { Repository } from '../repository/repository.js'
import { readU32, sha256Hex } from '../util/bytes.js'
import { DamagedFileError } from '../errors.js'
import { lockRepository } from '../repository/lock.js'
import { loadSnapshot } from './snapshots.js'
import type { Snapshot } from '../repofile/snapshot.js'
import { parseIndexFile } from '../repofile/index-file.js'
import { loadTree } from './tree-walk.js'

export type CheckProgressEvents =
  | ProgressEvent<'restic:check:pack', { id: string, size: number }>
  | ProgressEvent<'restic:check:error', { message: string }>

/**
 * restic's `--read-data-subset`: group `bucket` of `total` (packs whose ID's first byte modulo
 * `total` is `bucket - 1`), a random `percent` of the packs, or random packs making up about `bytes`.
 */
export type ReadDataSubset = { bucket: number, total: number } | { percent: number } | { bytes: number }

/** The packs a subset reads (at least one when there are packs and a random subset is asked for). */
export function selectPacks (packs: ReadonlyMap<string, number>, subset: ReadDataSubset, random: () => number = Math.random): string[] {
  const ids = [...packs.keys()]
  if ('bucket' in subset) return ids.filter(id => parseInt(id.slice(0, 2), 16) % subset.total === subset.bucket - 1)
  let percent: number
  if ('percent' in subset) percent = subset.percent
  else {
    let total = 0
    for (const s of packs.values()) total += s
    if (total === 0) throw new InvalidInputError('cannot read a subset of a repository holding no data.')
    percent = Math.min(subset.bytes, total) / total * 100
  }
  const n = Math.max(ids.length > 0 ? 1 : 0, Math.floor(ids.length * percent / 100))
  // A random permutation's first n (Fisher-Yates).
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = ids[i] as string
    ids[i] = ids[j] as string
    ids[j] = t
  }
  return ids.slice(0, n)
}

/** Parses `n/t`, `x%` or a size (`500M`, `2G`, bytes without a unit) as restic 0.14 does. */
export function parseReadDataSubset (s: string): ReadDataSubset {
  const bad = (why: string): InvalidInputError => new InvalidInputError(`--read-data-subset ${s}: ${why}. Use n/t (e.g. 1/5), a percentage (e.g. 10%) or a size (e.g. 500M).`)
  if (/^\d+\/\d+$/.test(s)) {
    const [bucket, total] = s.split('/').map(Number) as [number, number]
    if (bucket === 0 || total === 0 || bucket > total) throw bad('n and t must be positive integers with n <= t')
    if (total > 256) throw bad('t must be at most 256')
    return { bucket, total }
  }
  if (s.endsWith('%')) {
    const p = Number(s.slice(0, -1))
    if (s.length === 1 || !Number.isFinite(p)) throw bad('not a number')
    if (p <= 0 || p > 100) throw bad('x must be above 0.0% and at most 100.0%')
    return { percent: p }
  }
  const m = /^(\d+)([bBkKmMgGtT]?)$/.exec(s)
  if (m === null) throw bad('not a size')
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] as string).toLowerCase()] as number
  const bytes = Number(m[1]) * unit
  if (bytes <= 0) throw bad('the size must be above 0')
  return { bytes }
}

export interface CheckOptions extends OperationOptions<CheckProgressEvents> {
  readData?: boolean | undefined
  /** Read only these packs' data (restic's `--read-data-subset`); not together with `readData`. */
  readDataSubset?: ReadDataSubset | undefined
  /** Take an exclusive lock like restic (default true). */
  lock?: boolean | undefined
}

export interface CheckResult {
  errors: string[]
  /** Non-fatal findings (unreferenced packs, duplicates). */
  hints: string[]
  packs: number
  snapshots: number
  trees: number
  /** Packs whose data was read (`readData`, `readDataSubset`). */
  packsRead: number
}

export async function check (repo: Repository, options: CheckOptions = {}): Promise<CheckResult> {
  const lock = options.lock === false ? undefined : await lockRepository(repo, { exclusive: true }, options)
  try {
    return await runCheck(repo, options)
  } finally {
    await lock?.release()
  }
}

async function runCheck (repo: Repository, options: CheckOptions): Promise<CheckResult> {
  const result: CheckResult = { errors: [], hints: [], packs: 0, snapshots: 0, trees: 0, packsRead: 0 }
  const error = (message: string): void => { result.errors.push(message); emit(options, 'restic:check:error', { message }) }
  const guard = async (f: () => Promise<void>): Promise<void> => {
    try { await f() } catch (err) {
      if (isAbortError(err)) throw err
      error((err as Error).message)
    }
  }

  // Index: load each file on its own so that one damaged file does not hide the others.
  if (!repo.indexLoaded) {
    const before = result.errors.length
    for (const f of await repo.backend.list('index', options)) {
      await guard(async () => {
        repo.index.addFile(f.name, parseIndexFile(await repo.loadJSON('index', f.name, options)))
      })
    }
    if (result.errors.length === before) repo.markIndexLoaded()
  }
  for (const p of repo.index.duplicatePacks) result.hints.push(`pack ${p.slice(0, 8)} is contained in several indexes`)

  // Packs: present, and sized as the index says.
  const present = new Map((await repo.backend.list('data', options)).map(f => [f.name, f.size]))
  for (const [id, blobs] of repo.index.packs) {
    result.packs++
    const size = present.get(id)
    if (size === undefined) { error(`pack ${id} is listed in the index but missing from data/`); continue }
    if (size !== packSize(blobs)) error(`pack ${id}: size ${size} does not match the ${packSize(blobs)} bytes computed from the index`)
    if (new Set(blobs.map(b => b.type)).size > 1) result.hints.push(`pack ${id.slice(0, 8)} mixes data and tree blobs`)
  }
  for (const id of present.keys()) if (!repo.index.packs.has(id)) result.hints.push(`pack ${id} is not referenced in any index (leftover of an interrupted run; prune removes it)`)

  // Snapshots and trees.
  const seen = new Set<string>()
  const snapshots: Snapshot[] = []
  for (const f of await repo.backend.list('snapshots', options)) {
    await guard(async () => {
      snapshots.push(await loadSnapshot(repo, f.name, options))
    })
  }
  result.snapshots = snapshots.length
  for (const s of snapshots) {
    const queue = [s.tree]
    while (queue.length > 0) {
      const id = queue.pop() as string
      if (seen.has(id)) continue
      seen.add(id)
      await guard(async () => {
        if (!repo.index.has('tree', id)) throw new Error(`snapshot ${s.id.slice(0, 8)}: tree ${id} is not in the index`)
        const tree = await loadTree(repo, id, options)
        result.trees++
        for (const n of tree.nodes) {
          const where = `tree ${id.slice(0, 8)}, node "${n.name}"`
          if (n.name === '') error(`${where}: empty node name`)
          if (n.type === 'file') {
            if (n.content === null || n.content === undefined) { error(`${where}: file has nil blob list`); continue }
            for (const b of n.content) if (!repo.index.has('data', b)) error(`${where}: data blob ${b} is not in the index`)
          } else if (n.type === 'dir') {
            if (n.subtree === undefined || n.subtree === null || /^0+$/.test(n.subtree)) error(`${where}: dir node has no subtree`)
            else queue.push(n.subtree)
          } else if (!['symlink', 'dev', 'chardev', 'fifo', 'socket', 'irregular'].includes(n.type)) error(`${where}: unknown node type "${n.type}"`)
        }
      })
    }
  }

  if (options.readData === true || options.readDataSubset !== undefined) {
    let chosen: Set<string> | undefined
    if (options.readDataSubset !== undefined) {
      const sizes = new Map<string, number>()
      for (const id of repo.index.packs.keys()) sizes.set(id, present.get(id) ?? 0)
      chosen = new Set(selectPacks(sizes, options.readDataSubset))
    }
    for (const [id, blobs] of repo.index.packs) {
      if (!present.has(id) || (chosen !== undefined && !chosen.has(id))) continue
      options.signal?.throwIfAborted()
      await guard(async () => { await readPack(repo, id, blobs) })
      result.packsRead++
      emit(options, 'restic:check:pack', { id, size: present.get(id) ?? 0 })
    }
  }
  return result
}

/** Verify one pack completely: storage hash, header, agreement with the index, every blob. */
async function readPack (repo: Repository, id: string, indexed: readonly PackedBlob[]): Promise<void> {
  const where = repo.describe({ type: 'data', name: id })
  const bytes = await repo.backend.read({ type: 'data', name: id })
  if (await sha256Hex(bytes) !== id) throw new DamagedFileError(where, 'its content does not match its name (SHA-256 mismatch)')
  if (bytes.length < 4) throw new DamagedFileError(where, 'the pack is truncated')
  const hlen = readU32(bytes, bytes.length - 4)
  if (hlen > bytes.length - 4) throw new DamagedFileError(where, 'invalid header length')
  let header: PackedBlob[]
  try {
    header = parseHeader(await repo.key.open(bytes.subarray(bytes.length - 4 - hlen, bytes.length - 4)))
  } catch (err) {
    throw new DamagedFileError(where, 'the pack header does not decrypt or parse', { cause: err })
  }
  const key = (b: PackedBlob): string => `${b.type}/${b.id}/${b.offset}/${b.length}/${b.uncompressedLength ?? ''}`
  const fromIndex = new Set(indexed.map(key))
  for (const b of header) {
    if (!fromIndex.has(key(b))) throw new DamagedFileError(where, `blob ${b.id.slice(0, 8)} is not contained in the index or its position is incorrect`)
  }
  if (header.length !== indexed.length) throw new DamagedFileError(where, `the header lists ${header.length} blobs, the index ${indexed.length}`)
  for (const b of header) await repo.decodeBlob(id, b, bytes.subarray(b.offset, b.offset + b.length))
}
