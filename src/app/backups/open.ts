/**
 * Creating and opening repositories, and the device's list of them: create (a new key and name),
 * open by IPNS name or root CID with the password (or a remembered one), close, forget a
 * repository or its remembered password.
 */
import { BackupPasswordError } from './errors.js'
import { DEFAULT_HOST, phase } from './session.js'
import { InvalidInputError } from '../../core/errors.js'
import { withWebLock } from '../../platform/locks.js'
import type { BackupsContext } from './session.js'
import type { BackupsService } from './types.js'
import type { RepoRecord } from '../../platform/backup-store.js'
import type { IpfsBackend } from '../../ipfs/restic-backend/index.js'
import type { Repository } from '../../restic/repository/repository.js'

function slug (label: string): string {
  return label.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, 40) || 'repo'
}

export function openActions (ctx: BackupsContext): Pick<BackupsService, 'create' | 'open' | 'close' | 'removeRepo' | 'forgetPassword'> {
  const { node, names, db, engine, lockHolder, routers, gateways, saveRecord, openWith, closeSession } = ctx
  return {
    async create (label, password, options = {}) {
      label = label.trim()
      if (label === '') throw new InvalidInputError('Give the repository a name, e.g. "Photos".')
      if (password === '') throw new InvalidInputError('Choose a password. Without it nobody, not even you, can restore the backup.')
      const n = node.node()
      const e = await engine()
      const { keys, state } = await names.stores()
      const keyName = `backup-${slug(label)}-${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36) ?? '0'}`
      phase(options, 'Creating the repository key…')
      const backend = await e.createIpfsBackend({ helia: n }, { ipns: { routers: routers(), libp2p: n.libp2p, state, keys, keyName }, location: `new repository "${label}"` })
      let repo: Repository
      try {
        phase(options, 'Deriving the key from the password (scrypt)…')
        // The repository is public (anyone with the name can download keys/): a stronger scrypt.
        repo = await e.Repository.init(backend, { password, scrypt: e.PUBLIC_STORAGE_SCRYPT, hostname: DEFAULT_HOST, lockHolder: await lockHolder(), signal: options.signal })
        // The name's key travels in the repository, sealed with its master key.
        await backend.useMasterKey(repo.key, { signal: options.signal })
        phase(options, 'Publishing the repository\'s name…')
        await withWebLock('blocks', options.signal, async () => { await backend.publish({ signal: options.signal }) }, 'shared')
      } catch (err) {
        await backend.close().catch(() => {})
        await keys.remove(keyName).catch(() => {})
        throw err
      }
      const name = (await backend.ipnsName())?.k51
      if (name === undefined) throw new Error('unreachable: a new repository without a name')
      const record: RepoRecord = { id: name, label, name, keyName, root: backend.root?.toString(), createdAt: Date.now(), lastUsedAt: Date.now() }
      await saveRecord(record)
      if (options.remember === true) await (await db()).rememberPassword(record.id, password)
      await names.refresh().catch(() => {})
      await openWith((await (await db()).get(record.id)) ?? record, backend, repo, n)
    },

    async open (location, options = {}) {
      const n = node.node()
      const e = await engine()
      const { keys, state } = await names.stores()
      let text = location.trim().replace(/^ipns:\/\//, '/ipns/').replace(/^ipfs:\/\//, '/ipfs/').replace(/\/+$/, '')
      let name: string | undefined
      let root: string | undefined
      if (text.startsWith('/ipns/')) text = text.slice(6)
      if (text.startsWith('/ipfs/')) root = text.slice(6)
      else {
        try {
          name = e.parseName(text).k51
        } catch {
          try { root = e.CID.parse(text).toString() } catch {
            throw new InvalidInputError(`"${location}" is neither an IPNS name (k51…, bafz…, /ipns/…) nor a CID. Paste the repository's name as shown where it was created.`)
          }
        }
      }
      if (root !== undefined) {
        try { root = e.CID.parse(root).toString() } catch { throw new InvalidInputError(`"${root}" is not a CID. Paste the repository's root CID, or better its IPNS name.`) }
      }
      const id = name ?? (root as string)
      const db_ = await db()
      const known = await db_.get(id)
      const password = options.password !== undefined && options.password !== '' ? options.password : await db_.recallPassword(id)
      if (password === undefined) throw new BackupPasswordError('Enter the repository\'s password (none is remembered on this device for it).')
      let keyName = known?.keyName
      if (keyName === undefined && name !== undefined) keyName = (await keys.list()).find(k => k.name.k51 === name)?.keyName
      phase(options, name !== undefined ? 'Resolving the name…' : 'Fetching the repository root…')
      const ipns = { routers: routers(), libp2p: n.libp2p, state, ...(keyName !== undefined ? { keys, keyName } : {}) }
      let backend: IpfsBackend
      try {
        backend = await e.createIpfsBackend({ helia: n }, { ...(name !== undefined ? { name } : { root }), ipns, gateways: gateways(), signal: options.signal })
      } catch (err) {
        // A publish cut short (the tab was closed mid-backup) leaves the routers one record behind
        // the one this device signed and kept. That newer record is the repository's real state:
        // open its root, and send the record to the routers again.
        const held = name !== undefined && (err as Error).cause instanceof Error && ((err as Error).cause as Error).name === 'SequenceRollbackError'
          ? (await state.get(e.parseName(name)))?.lastRecord
          : undefined
        const verdict = held !== undefined ? await e.inspectRecord(held, { name }) : undefined
        const heldRoot = verdict?.valid === true ? /^\/ipfs\/([^/]+)$/.exec(verdict.value)?.[1] : undefined
        if (held === undefined || heldRoot === undefined) throw err
        phase(options, 'The routers are behind this device: republishing the newest record…')
        await e.pushRecord({ routers: routers(), libp2p: n.libp2p, state }, held, { signal: options.signal }).catch((pushErr: unknown) => { console.warn('Re-sending the newest record failed:', pushErr) })
        // Bound to the name (its base is that newest root), so it merges and publishes like any other.
        backend = await e.createIpfsBackend({ helia: n }, { root: heldRoot, name, ipns, gateways: gateways(), location: `ipns://${name ?? ''}`, signal: options.signal })
      }
      let repo: Repository
      // While scrypt runs, the snapshot and index files (read next, by openWith) are fetched.
      const warming = new AbortController()
      void e.warmRepository(backend, { signal: options.signal === undefined ? warming.signal : AbortSignal.any([options.signal, warming.signal]) })
      try {
        phase(options, 'Checking the password (scrypt)…')
        repo = await e.Repository.open(backend, { password, lockHolder: await lockHolder(), signal: options.signal })
        // Unlocks the name's key the repository carries (any device with the password publishes),
        // or adds it with this device's next write; a foreign or damaged key file is refused here.
        await backend.useMasterKey(repo.key, { signal: options.signal })
      } catch (err) {
        warming.abort()
        await backend.close().catch(() => {})
        if (err instanceof e.WrongPasswordError) {
          if (known?.password !== undefined && (options.password === undefined || options.password === '')) await db_.forgetPassword(id)
          throw new BackupPasswordError(`Wrong password: no key of ${name !== undefined ? `ipns://${name}` : `ipfs://${root ?? ''}`} opens with it. Check the password (it is case-sensitive) and try again; nothing was changed.`, { cause: err })
        }
        throw err
      }
      const record: RepoRecord = {
        ...(known ?? { label: name !== undefined ? `Repository ${name.slice(-6)}` : `Snapshot root ${root?.slice(-6) ?? ''}`, createdAt: Date.now() }),
        id,
        name,
        keyName,
        canPublish: await backend.ipnsName() !== undefined,
        root: backend.root?.toString() ?? root,
        lastUsedAt: Date.now()
      }
      await saveRecord(record)
      if (options.remember === true) await db_.rememberPassword(id, password)
      await openWith((await db_.get(id)) ?? record, backend, repo, n)
    },

    async close () { await closeSession() },

    async removeRepo (id) {
      if (ctx.session()?.record.id === id) await closeSession()
      await (await db()).remove(id)
      await ctx.refresh()
    },

    async forgetPassword (id) {
      await (await db()).forgetPassword(id)
      await ctx.refresh()
    }
  }
}
