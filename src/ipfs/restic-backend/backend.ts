/**
 * A restic repository stored as a UnixFS directory on IPFS, behind the restic `Backend` interface.
 *
 * Layout (the restic local layout): `config`, `keys/`, `data/xx/<id>`, `index/`, `snapshots/`,
 * `locks/`. Files are imported with the `unixfs-v1-2025` profile (CIDv1, raw leaves, 1 MiB chunks)
 * and directories turn into HAMT shards past that profile's threshold.
 *
 * Writes and removes change directories in memory: each changed directory gets a new CID at once
 * (its blocks are stored), but parents are relinked only by `flush()`, which computes the new root,
 * pins it (over the blocks this node holds: `pin-local.ts`), and only then unpins the previous
 * root. Until then a shared GC lock on the node keeps a garbage collection from deleting the
 * unpinned blocks. `close()` flushes and, when the backend has the name's key, publishes the new
 * root, merging with whatever another device published meanwhile (`publisher.ts`, `merge.ts`).
 *
 * The name's key is this device's own (a key store) or the repository's `cairn-ipns-key` file,
 * unlocked with the master key (`useMasterKey`, `repo-key.ts`). A backend opened by name with
 * neither is read-only: writes other than restic's locks fail with `RepoReadOnlyError`.
 */
import { unixfs } from '@helia/unixfs'
import * as raw from 'multiformats/codecs/raw'
import { emit } from '../../core/options.js'
import { isAbortError } from '../../core/errors.js'
import { NotFoundError, RepositoryExistsError, RepositoryNotFoundError } from '../../restic/errors.js'
import { handlePath, isFileName } from '../../restic/backend/backend.js'
import { importerOptions, PROFILES } from '../add/profiles.js'
import { unpin, isPinned } from '../pins/pins.js'
import { withSharedLock } from '../pins/lock.js'
import { nameFromPublicKey } from '../ipns/names.js'
import { BackendClosedError, NoRepoKeyError, RepoBlockUnreachableError, RepoNotKeptError, RepoReadOnlyError } from './errors.js'
import { mapLimit, parentOf } from './paths.js'
import { DirTree } from './dir-tree.js'
import { NameKeys, readOnlyMessage } from './name-keys.js'
import { pinLocal } from './pin-local.js'
import { publishMerging } from './publisher.js'
import { readRange } from './read-range.js'
import { readBlock } from '../car/walk.js'
import { REPO_KEY_FILE } from './repo-key.js'
import type { Key } from '../../restic/crypto/key.js'
import type { IpfsBackendComponents, IpfsBackendEvents, IpfsBackendInit } from './init.js'
import type { RangeBlocks } from './read-range.js'
import type { Backend, FileInfo, FileType, Handle } from '../../restic/backend/backend.js'
import type { AbortOptions, OperationOptions } from '../../core/options.js'
import type { Profile } from '../add/profiles.js'
import type { PublishResult } from '../ipns/publish.js'
import type { IPNSName } from '../ipns/names.js'
import type { UnixFS } from '@helia/unixfs'
import type { CID } from 'multiformats/cid'
import type { ImporterOptions } from 'ipfs-unixfs-importer'

export type { IpfsBackendComponents, IpfsBackendEvents, IpfsBackendInit, IpfsBackendIPNS } from './init.js'

const DIRS: ReadonlyArray<Exclude<FileType, 'config'>> = ['keys', 'locks', 'snapshots', 'index', 'data']

export class IpfsBackend implements Backend {
  readonly location: string
  readonly #helia: IpfsBackendComponents['helia']
  readonly #fs: UnixFS
  /** Where reads go: a block session for this repository, or the node's blockstore. */
  readonly #blocks: RangeBlocks
  readonly #init: IpfsBackendInit
  readonly #importer: Omit<Partial<ImporterOptions>, 'onProgress'>
  readonly #shard: Pick<ImporterOptions, 'shardSplitThresholdBytes' | 'shardSplitStrategy' | 'shardFanoutBits'>
  /** The last durable (flushed, pinned) root; undefined before the first flush of a new repo. */
  #root: CID | undefined
  /** The directories looked up or changed since the last flush. */
  readonly #tree: DirTree
  #closed = false
  /** The shared GC lock held while unflushed blocks exist (resolves to its release). */
  #gcHold: Promise<() => void> | undefined
  /** Writes between their first block and their link into a directory. */
  #writing = 0
  /** Serialises mutations and flushes. */
  #queue: Promise<unknown> = Promise.resolve()
  #lastPublished: CID | undefined
  /** The root this backend's changes are relative to: opened from, last published, or merged with. */
  #base: CID | undefined
  readonly #keys: NameKeys
  /** A sealed key file to add with the next flush that writes anything. */
  #pendingKeyFile: Uint8Array | undefined

  constructor (components: IpfsBackendComponents, init: IpfsBackendInit, root: CID | undefined) {
    this.#helia = components.helia
    const blocks = components.blocks
    this.#fs = unixfs({ blockstore: blocks ?? components.helia.blockstore })
    this.#blocks = blocks ?? { block: async (cid, options) => await readBlock(components.helia.blockstore, cid, options) }
    this.#init = init
    this.#tree = new DirTree(this.#fs, () => this.location)
    this.#keys = new NameKeys(init, components.helia)
    const profile: Profile = { ...PROFILES['unixfs-v1-2025'], ...init.profile }
    const { chunker, layout, cidVersion, rawLeaves, reduceSingleLeafToSelf, leafType, shardSplitThresholdBytes, shardSplitStrategy, shardFanoutBits } = importerOptions(profile)
    this.#importer = { chunker, layout, cidVersion, rawLeaves, reduceSingleLeafToSelf, leafType, shardSplitThresholdBytes, shardSplitStrategy, shardFanoutBits }
    this.#shard = { shardSplitThresholdBytes, shardSplitStrategy, shardFanoutBits }
    this.#root = root
    // Opened by name, the resolved root is what this backend's changes are relative to. Opened by
    // a root CID, nothing says where that root stands in the name's history: with no base, a merge
    // keeps the union of both sides (this backend's removals are not carried over).
    this.#base = init.name !== undefined ? root : undefined
    if (root !== undefined) this.#tree.dirs.set('', root)
    this.location = init.location ?? (init.name !== undefined ? `ipns://${init.name.replace(/^\/ipns\//, '')}` : root !== undefined ? `ipfs://${root.toString()}` : 'ipfs:')
  }

  /** The last durable root (after `flush()`), if any. */
  get root (): CID | undefined { return this.#root }

  /** True when writes or removes are waiting for `flush()`. */
  get dirty (): boolean { return this.#tree.dirty.size > 0 }

  /** The IPNS name this backend publishes under, when it has a key (its own or the repository's). */
  async ipnsName (options: AbortOptions = {}): Promise<IPNSName | undefined> {
    const key = await this.#keys.publishing(false, options)
    return key === undefined ? undefined : nameFromPublicKey(key.publicKey)
  }

  /** The root this backend's changes are relative to (opened from, last published or merged with). */
  get base (): CID | undefined { return this.#base }

  /**
   * Why this backend cannot publish (so it is read-only), or undefined when it can: it was opened
   * by name, and neither holds the name's key nor unlocked the repository's key file.
   */
  async readOnlyReason (options: AbortOptions = {}): Promise<string | undefined> {
    if (this.#init.name === undefined || await this.#keys.publishing(false, options) !== undefined) return undefined
    const root = this.#tree.dirs.get('') ?? this.#root
    return readOnlyMessage(this.location, root !== undefined && await this.#tree.lookup(root, REPO_KEY_FILE, options) !== undefined)
  }

  async #checkWritable (type: FileType | undefined, options: AbortOptions): Promise<void> {
    // restic's locks are written even by reading commands; they are never published from here.
    if (type === 'locks') return
    const why = await this.readOnlyReason(options)
    if (why !== undefined) throw new RepoReadOnlyError(why)
  }

  /**
   * Gives the backend the repository's master key (after the password opened it): unlocks the
   * name's key from `cairn-ipns-key` (refusing a damaged file or another name's key), or, when the
   * file is absent and this device holds the key, adds the file with the next write.
   */
  async useMasterKey (masterKey: Key, options: OperationOptions<IpfsBackendEvents> = {}): Promise<void> {
    this.#check()
    await this.#serial(async () => {
      const root = await this.#tree.dir('', false, options)
      const found = root === undefined ? undefined : await this.#tree.lookup(root, REPO_KEY_FILE, options)
      this.#pendingKeyFile = await this.#keys.useMasterKey(masterKey, {
        name: this.#init.name,
        location: this.location,
        file: found,
        read: async (f) => await this.#readRootFile(f.cid, f.size, options)
      }, options)
    })
  }

  async #readRootFile (cid: CID, size: number, options: AbortOptions): Promise<Uint8Array> {
    const out = new Uint8Array(size)
    const pos = await readRange(this.#blocks, cid, 0, out, { path: REPO_KEY_FILE, location: this.location, stallMs: this.#init.readStallTimeoutMs, attempts: this.#init.readAttempts, readConcurrency: this.#init.readConcurrency, events: this.#init, signal: options.signal })
    return out.subarray(0, pos)
  }

  #check (): void {
    if (this.#closed) throw new BackendClosedError(`The IPFS backend for ${this.location} is closed. Open the repository again.`)
  }

  async #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.catch(() => {}).then(fn)
    this.#queue = run.catch(() => {})
    return await run
  }

  /**
   * Holds the node's shared GC lock from the first unflushed write until a flush with no write in
   * flight, so a garbage collection never deletes blocks that no pin holds yet.
   */
  async #holdGc (): Promise<void> {
    if (this.#init.pin === false) return
    this.#gcHold ??= new Promise<() => void>((acquired) => {
      let release!: () => void
      const held = new Promise<void>(resolve => { release = resolve })
      void withSharedLock(this.#helia, undefined, async () => { acquired(release); await held })
    })
    await this.#gcHold
  }

  #releaseGc (force = false): void {
    if (this.#writing > 0 && !force) return
    const hold = this.#gcHold
    this.#gcHold = undefined
    void hold?.then(release => { release() })
  }

  async create (options: AbortOptions = {}): Promise<void> {
    this.#check()
    await this.#checkWritable(undefined, options)
    await this.#serial(async () => {
      const root = await this.#tree.dir('', false, options)
      if (root !== undefined && await this.#tree.lookup(root, 'config', options) !== undefined) {
        throw new RepositoryExistsError(`a repository already exists at ${this.location}`)
      }
      await this.#holdGc()
      for (const d of DIRS) await this.#tree.dir(d, true, options)
      if (this.#init.ipns?.keys !== undefined && this.#init.ipns.keyName !== undefined && !await this.#init.ipns.keys.has(this.#init.ipns.keyName, options)) {
        await this.#init.ipns.keys.generate(this.#init.ipns.keyName, options)
      }
    })
  }

  async list (type: Exclude<FileType, 'config'>, options: AbortOptions = {}): Promise<FileInfo[]> {
    this.#check()
    const dir = await this.#tree.dir(type, false, options)
    if (dir === undefined) return []
    if (type !== 'data') return await this.#listFiles(dir, options)
    // data/xx changed since the last flush are not linked into data/ yet: their CIDs are in #dirs.
    const subdirs = new Map<string, CID>()
    for await (const e of this.#fs.ls(dir, { signal: options.signal })) subdirs.set(e.name, e.cid)
    for (const [path, cid] of this.#tree.dirs) {
      if (path.startsWith('data/')) subdirs.set(path.slice(5), cid)
    }
    const out: FileInfo[] = []
    for (const sub of subdirs.values()) out.push(...await this.#listFiles(sub, options))
    return out
  }

  /** Files of one directory with their exact sizes (a raw leaf's size is its link's; a file root is read). */
  async #listFiles (dir: CID, options: AbortOptions): Promise<FileInfo[]> {
    const entries: Array<{ name: string, cid: CID, size: bigint }> = []
    for await (const e of this.#fs.ls(dir, { signal: options.signal })) {
      // Names from the DAG become paths (export) and URLs (mirror): only restic file names count.
      if (isFileName(e.name)) entries.push({ name: e.name, cid: e.cid, size: e.size })
    }
    return await mapLimit(entries, this.#init.listConcurrency ?? 16, async (e) => {
      if (e.cid.code === raw.code) return { name: e.name, size: Number(e.size) }
      const st = await this.#fs.stat(e.cid, { signal: options.signal })
      return { name: e.name, size: Number(st.size) }
    })
  }

  async #file (h: Handle, options: AbortOptions): Promise<{ cid: CID, size: number }> {
    const { dir, name } = parentOf(handlePath(h))
    const d = await this.#tree.dir(dir, false, options)
    const found = d === undefined ? undefined : await this.#tree.lookup(d, name, options)
    if (found === undefined) throw new NotFoundError(`${handlePath(h)} not found in ${this.location}`)
    return found
  }

  async stat (h: Handle, options: AbortOptions = {}): Promise<FileInfo> {
    this.#check()
    const f = await this.#file(h, options)
    return { name: h.name, size: f.size }
  }

  async read (h: Handle, range?: { offset: number, length?: number | undefined }, options: AbortOptions = {}): Promise<Uint8Array> {
    this.#check()
    const f = await this.#file(h, options)
    const offset = Math.min(range?.offset ?? 0, f.size)
    const length = Math.max(0, Math.min(range?.length ?? f.size - offset, f.size - offset))
    const out = new Uint8Array(length)
    if (length === 0) return out
    const pos = await readRange(this.#blocks, f.cid, offset, out, {
      path: handlePath(h),
      location: this.location,
      stallMs: this.#init.readStallTimeoutMs,
      attempts: this.#init.readAttempts,
      readConcurrency: this.#init.readConcurrency,
      events: this.#init,
      signal: options.signal
    })
    if (pos < length) throw new RepoBlockUnreachableError(`${handlePath(h)} of ${this.location} ended after ${pos} of ${length} bytes; its DAG is damaged. Run "restic check --read-data".`)
    return out
  }

  async write (h: Handle, data: Uint8Array, options: AbortOptions = {}): Promise<void> {
    this.#check()
    await this.#checkWritable(h.type, options)
    this.#writing++
    try {
      await this.#holdGc()
      // Import outside the queue (it is the slow part), link inside it.
      const cid = await this.#fs.addBytes(data, { ...this.#importer, signal: options.signal })
      await this.#serial(async () => {
        const { dir, name } = parentOf(handlePath(h))
        const d = await this.#tree.dir(dir, true, options)
        if (d === undefined) throw new Error('unreachable: directory not created')
        const next = await this.#fs.cp(cid, d, name, { ...this.#shard, force: true, signal: options.signal })
        this.#tree.dirs.set(dir, next)
        this.#tree.dirty.add(dir)
      })
    } finally {
      this.#writing--
    }
  }

  async remove (h: Handle, options: AbortOptions = {}): Promise<void> {
    this.#check()
    await this.#checkWritable(h.type, options)
    await this.#serial(async () => {
      const { dir, name } = parentOf(handlePath(h))
      const d = await this.#tree.dir(dir, false, options)
      if (d === undefined || await this.#tree.lookup(d, name, options) === undefined) return
      await this.#holdGc()
      const next = await this.#fs.rm(d, name, { ...this.#shard, signal: options.signal })
      this.#tree.dirs.set(dir, next)
      this.#tree.dirty.add(dir)
    })
  }

  /**
   * Relinks changed directories up to a new root, pins it, then unpins the previous root. Returns
   * the durable root (unchanged when nothing was written).
   */
  async flush (options: OperationOptions<IpfsBackendEvents> = {}): Promise<CID | undefined> {
    this.#check()
    return await this.#serial(async () => await this.#flush(options))
  }

  async #flush (options: OperationOptions<IpfsBackendEvents>): Promise<CID | undefined> {
    if (this.#tree.dirty.size === 0) return this.#root
    if (this.#pendingKeyFile !== undefined) {
      // An existing repository gains its name's key with this write.
      const cid = await this.#fs.addBytes(this.#pendingKeyFile, { ...this.#importer, signal: options.signal })
      const root = await this.#tree.dir('', true, options) as CID
      this.#tree.dirs.set('', await this.#fs.cp(cid, root, REPO_KEY_FILE, { ...this.#shard, force: true, signal: options.signal }))
      this.#tree.dirty.add('')
      this.#pendingKeyFile = undefined
    }
    // Every changed directory and its ancestors, deepest first: data/xx → data → root. Each is
    // relinked into its parent after all of its own changed children were relinked into it.
    const paths = new Set<string>()
    for (let p of this.#tree.dirty) {
      while (p !== '') { paths.add(p); p = parentOf(p).dir }
    }
    const order = [...paths].sort((a, b) => b.split('/').length - a.split('/').length)
    for (const path of order) {
      const { dir, name } = parentOf(path)
      const parent = await this.#tree.dir(dir, true, options)
      const cid = this.#tree.dirs.get(path)
      if (parent === undefined || cid === undefined) throw new Error('unreachable: directory missing during flush')
      this.#tree.dirs.set(dir, await this.#fs.cp(cid, parent, name, { ...this.#shard, force: true, signal: options.signal }))
    }
    if (this.#tree.dirs.get('') === undefined) await this.#tree.dir('', true, options)
    const next = this.#tree.dirs.get('')
    if (next === undefined) throw new Error('unreachable: no root after flush')
    const previous = this.#root
    if (previous !== undefined && next.equals(previous)) {
      this.#tree.dirty.clear()
      this.#releaseGc()
      return previous
    }
    await this.#setRoot(next, options)
    this.#tree.dirty.clear()
    this.#releaseGc()
    return next
  }

  /** Pins `next` (over the blocks held here), unpins the previous durable root, reports. */
  async #setRoot (next: CID, options: OperationOptions<IpfsBackendEvents>): Promise<void> {
    const previous = this.#root
    if (this.#init.pin !== false) {
      await pinLocal(this.#helia, next, { restic: this.location }, options)
      if (previous !== undefined && !previous.equals(next) && await isPinned(this.#helia, previous, options)) {
        await unpin(this.#helia, previous)
        emit(options, 'restic-ipfs:flush:unpinned', { root: previous })
      }
    }
    this.#root = next
    emit(options, 'restic-ipfs:flush:root', { root: next, previous })
    await this.#init.onRootChange?.(next, previous)
  }

  /**
   * Flushes, then publishes the durable root under the repository's IPNS name, merged with the
   * name's current root when another device published meanwhile (see `publisher.ts`).
   */
  async publish (options: OperationOptions<IpfsBackendEvents> = {}): Promise<PublishResult> {
    this.#check()
    // Merges and retries are reported to the caller's listener, else to the one given at open.
    options = { ...options, onProgress: options.onProgress ?? this.#init.onProgress }
    const key = await this.#keys.publishing(true, options)
    if (this.#init.ipns === undefined || key === undefined) {
      const why = await this.readOnlyReason(options)
      if (why !== undefined) throw new RepoReadOnlyError(why)
      throw new NoRepoKeyError(`The IPFS backend for ${this.location} has no IPNS key, so it cannot publish. Open it with an IPNS key (a key store and key name) to publish its root.`)
    }
    return await this.#serial(async () => {
      const root = await this.#flush(options)
      if (root === undefined) throw new RepositoryNotFoundError(`Nothing was written to ${this.location} yet, so there is no root to publish. Initialise the repository first.`)
      await this.#holdGc()
      try {
        return await publishMerging({
          fs: this.#fs,
          shard: this.#shard,
          location: this.location,
          init: this.#init,
          blockstore: this.#helia.blockstore,
          readSmall: async (cid, o) => await this.#readRootFile(cid, Math.min(65536, Number((await this.#fs.stat(cid, { signal: o.signal })).size)), o),
          components: () => this.#keys.components(),
          root: () => this.#root ?? root,
          base: () => this.#base,
          adopt: async (merged, base, o) => {
            await this.#setRoot(merged, o)
            this.#tree.dirs.clear()
            this.#tree.dirs.set('', merged)
            this.#base = base
          },
          published: (r) => { this.#lastPublished = r; this.#base = r },
          beforePublish: async (r, o) => { await this.#beforePublish(r, o) }
        }, key, options)
      } finally {
        this.#releaseGc()
      }
    })
  }

  /** Runs `init.beforePublish` (a keeper takes the root); when it fails nothing is published. */
  async #beforePublish (root: CID, options: AbortOptions): Promise<void> {
    const hook = this.#init.beforePublish
    if (hook === undefined) return
    try {
      await hook(root, { signal: options.signal })
    } catch (err) {
      if (options.signal?.aborted === true || isAbortError(err)) throw err
      throw new RepoNotKeptError(`The repository's new root ${root.toString()} is pinned only on this node: no keeper confirmed it holds it, so ${this.location} was not moved to it and still points at its previous root. ${(err as Error).message} Start the keeper (or give one: --peer in the CLI) and run the command again.`, { root: root.toString(), cause: err })
    }
  }

  /** Flushes, republishes the name if the root changed since the last publish (and a key is set), and closes. */
  async close (options: OperationOptions<IpfsBackendEvents> = {}): Promise<CID | undefined> {
    if (this.#closed) return this.#root
    const root = await this.flush(options)
    try {
      const key = await this.#keys.publishing(false, options)
      if (key !== undefined && root !== undefined && (this.#lastPublished === undefined || !root.equals(this.#lastPublished))) {
        await this.publish(options)
      }
    } finally {
      this.#closed = true
      this.#releaseGc(true)
    }
    // After a merge the durable root is the merged one.
    return this.#root
  }
}
