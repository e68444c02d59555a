/**
 * `dump`: a file of a snapshot as its bytes, or a folder (or the whole snapshot, "/") as a tar,
 * the same bytes `restic dump` 0.14 writes: its entries (the folder's contents under their full
 * paths, files, folders and symlinks; other types only at the top), Go's tar headers, and the file
 * contents blob by blob. Everything streams: one blob in memory at a time, plus one tree per level.
 */
import type { OperationOptions } from '../../core/options.js'
import { emit } from '../../core/options.js'
import { InvalidInputError } from '../../core/errors.js'
import { PathNotFoundError } from '../errors.js'
import type { Snapshot } from '../repofile/snapshot.js'
import type { Node } from '../repofile/tree.js'
import { MODE } from '../repofile/tree.js'
import type { Repository } from '../repository/repository.js'
import { utf8 } from '../util/bytes.js'
import { parseTime } from '../util/go-json.js'
import { cleanPath, joinPath } from '../util/go-path.js'
import { binary, padded, TAR_END, tarHeader } from '../util/go-tar.js'
import { GoZipWriter } from '../util/go-zip.js'
import { loadTree } from './tree-walk.js'

export type DumpProgressEvents =
  | { type: 'restic:dump:entry', detail: { path: string, size: number } }

export type DumpOptions = OperationOptions<DumpProgressEvents>

/** What a dump path names: one file (its bytes), or a folder's nodes (a tar, entries under `root`). */
export type DumpTarget =
  | { kind: 'file', node: Node, path: string }
  | { kind: 'tree', nodes: Node[], root: string }

/** restic's splitPath on a cleaned path: "/" → [""], "/a/b" and "a/b" → ["a", "b"]. */
function components (p: string): string[] {
  const clean = cleanPath(p)
  if (clean === '/') return ['']
  return clean.split('/').filter((s, i) => !(i === 0 && s === ''))
}

/** One tree per level in memory: nested generators, in name order (bytes). */
async function * walkDir (repo: Repository, treeId: string, prefix: string, options: DumpOptions): AsyncGenerator<{ node: Node, path: string }> {
  const tree = await loadTree(repo, treeId, options)
  const sorted = [...tree.nodes].sort((a, b) => { const x = nameOf(a); const y = nameOf(b); return x < y ? -1 : x > y ? 1 : 0 })
  for (const node of sorted) {
    options.signal?.throwIfAborted()
    const path = joinPath(prefix, nameOf(node))
    yield { node, path }
    if (node.type === 'dir' && node.subtree !== undefined && node.subtree !== null) yield * walkDir(repo, node.subtree, path, options)
  }
}

/** Go byte strings of a node's name (binary string, one char per byte). */
const nameOf = (n: Node): string => binary(n.nameBytes ?? utf8(n.name))
const show = (binaryPath: string): string => new TextDecoder().decode(Uint8Array.from(binaryPath, c => c.charCodeAt(0)))

/** Finds what `path` names in the snapshot, with restic's rules and messages. */
export async function resolveDump (repo: Repository, snapshot: Snapshot, path: string, options: DumpOptions = {}): Promise<DumpTarget> {
  await repo.loadIndex({ signal: options.signal })
  const parts = components(binary(utf8(path)))
  let tree = await loadTree(repo, snapshot.tree, options)
  if (parts[0] === '') return { kind: 'tree', nodes: tree.nodes, root: '/' }
  let prefix = '/'
  for (let i = 0; i < parts.length; i++) {
    const item = joinPath(prefix, parts[i] as string)
    const node = tree.nodes.find(n => nameOf(n) === parts[i])
    if (node === undefined) throw new PathNotFoundError(`path "${show(item)}" not found in snapshot ${snapshot.id.slice(0, 8)}. Run \`cairn restic ls ${snapshot.id.slice(0, 8)}\` to see its contents.`)
    const last = i === parts.length - 1
    if (last && node.type === 'file') return { kind: 'file', node, path: show(item) }
    if (node.type === 'dir' && node.subtree !== undefined && node.subtree !== null) {
      tree = await loadTree(repo, node.subtree, options)
      if (last) return { kind: 'tree', nodes: tree.nodes, root: item }
      prefix = item
      continue
    }
    if (!last) throw new PathNotFoundError(`"${show(item)}" should be a dir, but is a "${node.type}"`)
    throw new InvalidInputError(`"${show(item)}" should be a file, but is a "${node.type}": dump writes files and folders only.`)
  }
  throw new PathNotFoundError(`path "${path}" not found in snapshot`)
}

/** A file's bytes, blob by blob. */
export async function * dumpFile (repo: Repository, node: Node, options: DumpOptions = {}): AsyncGenerator<Uint8Array> {
  await repo.loadIndex({ signal: options.signal })
  for (const id of node.content ?? []) {
    options.signal?.throwIfAborted()
    yield await repo.loadBlob('data', id, options)
  }
}

/** A Linux POSIX ACL xattr (version, then tag/perm/id entries) as text lines, "user::rw-\n…" (restic's acl.String). */
export function aclText (value: Uint8Array): string {
  if (value.length < 4) return ''
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength)
  let out = ''
  for (let o = 4; o + 8 <= value.length; o += 8) {
    const tag = v.getUint16(o, true)
    const perm = v.getUint16(o + 2, true)
    const id = v.getUint32(o + 4, true)
    const who = ({ 1: 'user::', 2: `user:${id}:`, 4: 'group::', 8: `group:${id}:`, 16: 'mask::', 32: 'other::' } as Record<number, string>)[tag] ?? '?:'
    out += who + ((perm & 4) !== 0 ? 'r' : '-') + ((perm & 2) !== 0 ? 'w' : '-') + ((perm & 1) !== 0 ? 'x' : '-') + '\n'
  }
  return out
}

/** One tar entry: header, content, padding. */
async function * tarEntry (repo: Repository, node: Node, path: string, options: DumpOptions): AsyncGenerator<Uint8Array> {
  const mode = node.mode ?? 0
  let perm = mode & 0o777
  if (Math.floor(mode / MODE.SETUID) % 2 === 1) perm |= 0o4000
  if (Math.floor(mode / MODE.SETGID) % 2 === 1) perm |= 0o2000
  if (Math.floor(mode / MODE.STICKY) % 2 === 1) perm |= 0o1000
  let name = path === '/' ? '.' : path.replace(/^\/+/, '')
  let typeflag = '0'
  if (node.type === 'symlink') typeflag = '2'
  if (node.type === 'dir') { typeflag = '5'; name += '/' }
  const pax: Record<string, string> = {}
  for (const x of node.extended_attributes ?? []) {
    const value = Uint8Array.from(atob(x.value), c => c.charCodeAt(0))
    if (!x.name.startsWith('system.posix_acl_')) { pax['SCHILY.xattr.' + binary(utf8(x.name))] = binary(value); continue }
    // POSIX ACLs become star's text form, as restic writes them
    const text = aclText(value)
    if (text === '') continue
    if (x.name.includes('system.posix_acl_access')) pax['SCHILY.acl.access'] = text
    else if (x.name.includes('system.posix_acl_default')) pax['SCHILY.acl.default'] = text
  }
  const size = node.size ?? 0
  emit(options, 'restic:dump:entry', { path: show(path), size })
  yield tarHeader({
    name,
    linkname: node.type === 'symlink' ? binary(utf8(node.linktarget ?? '')) : '',
    uname: binary(utf8(node.user ?? '')),
    gname: binary(utf8(node.group ?? '')),
    mode: perm,
    uid: node.uid,
    gid: node.gid,
    size,
    mtimeNs: parseTime(node.mtime),
    typeflag,
    paxRecords: pax
  })
  if (node.type === 'dir' || node.type === 'symlink') return
  let written = 0
  for await (const chunk of dumpFile(repo, node, options)) {
    written += chunk.length
    yield chunk
  }
  if (written !== size) throw new InvalidInputError(`${show(path)}: its content holds ${written} bytes but the snapshot says ${size}; the tar would be corrupt. Run \`cairn restic check --read-data\`.`)
  if (padded(written) > written) yield new Uint8Array(padded(written) - written)
}

/** The nodes restic's dumper sends, in its order: each top node, then (for a folder) its files, folders and symlinks. */
async function * dumpEntries (repo: Repository, nodes: Node[], root: string, options: DumpOptions): AsyncGenerator<{ node: Node, path: string }> {
  for (const top of nodes) {
    const topPath = joinPath(root, nameOf(top))
    yield { node: top, path: topPath }
    if (top.type !== 'dir' || top.subtree === undefined || top.subtree === null) continue
    for await (const e of walkDir(repo, top.subtree, topPath, options)) {
      if (e.node.type === 'file' || e.node.type === 'dir' || e.node.type === 'symlink') yield e
    }
  }
}

/** `nodes` (a folder's contents, or the snapshot root) as a tar stream, entries named from `root`. */
export async function * dumpTar (repo: Repository, nodes: Node[], root: string, options: DumpOptions = {}): AsyncGenerator<Uint8Array> {
  await repo.loadIndex({ signal: options.signal })
  for await (const e of dumpEntries(repo, nodes, root, options)) yield * tarEntry(repo, e.node, e.path, options)
  yield TAR_END
}

/** The same entries as a zip, as restic's `--archive zip` writes it (stored, symlinks as their target). */
export async function * dumpZip (repo: Repository, nodes: Node[], root: string, options: DumpOptions = {}): AsyncGenerator<Uint8Array> {
  await repo.loadIndex({ signal: options.signal })
  const zip = new GoZipWriter()
  for await (const { node, path } of dumpEntries(repo, nodes, root, options)) {
    const ns = parseTime(node.mtime)
    const unix = Number(ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n))
    const name = (path === '/' ? '.' : path.replace(/^\/+/, '')) + (node.type === 'dir' ? '/' : '')
    emit(options, 'restic:dump:entry', { path: show(path), size: node.size ?? 0 })
    yield zip.begin({ name, mode: node.mode ?? 0, mtime: node.mtime, unix })
    if (node.type === 'dir') continue
    if (node.type === 'symlink') {
      const target = utf8(node.linktarget ?? '')
      if (target.length > 0) yield zip.data(target)
    } else {
      for await (const chunk of dumpFile(repo, node, options)) yield zip.data(chunk)
    }
    yield zip.end()
  }
  yield zip.finish()
}

/** What `restic dump <snapshot> <path>` writes: the file's bytes, or the folder as a tar (or zip). */
export async function * dump (repo: Repository, snapshot: Snapshot, path: string, options: DumpOptions & { archive?: 'tar' | 'zip' | undefined } = {}): AsyncGenerator<Uint8Array> {
  const target = await resolveDump(repo, snapshot, path, options)
  if (target.kind === 'file') yield * dumpFile(repo, target.node, options)
  else if (options.archive === 'zip') yield * dumpZip(repo, target.nodes, target.root, options)
  else yield * dumpTar(repo, target.nodes, target.root, options)
}
