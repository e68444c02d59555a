import { InvalidInputError } from '../../../core/errors.js'
import { flag, list, str } from './context.js'
import { localTime, selectSnapshots } from './select.js'
import type { ResticCommand, ResticContext } from './context.js'
import type { FindMatch, FindObject, Node, Snapshot } from '../../../restic/index.js'

/** The type bits restic ORs into a node's mode for `find --long`. */
const TYPE_BITS: Record<string, number> = { dir: 2 ** 31, symlink: 2 ** 27, dev: 2 ** 26, chardev: 2 ** 26 + 2 ** 21, fifo: 2 ** 25, socket: 2 ** 24 }

/** restic 0.14's `find --json` node: path and permissions, then the node without name, inode, xattrs, device, content, subtree. */
function nodeJson (path: string, n: Node, modeString: (m: number) => string): Record<string, unknown> {
  const o: Record<string, unknown> = { path, permissions: modeString(n.mode ?? 0), type: n.type }
  if ((n.mode ?? 0) !== 0) o.mode = n.mode
  Object.assign(o, { mtime: n.mtime, atime: n.atime, ctime: n.ctime, uid: n.uid, gid: n.gid })
  if ((n.user ?? '') !== '') o.user = n.user
  if ((n.group ?? '') !== '') o.group = n.group
  if ((n.device_id ?? 0) !== 0) o.device_id = n.device_id
  if ((n.size ?? 0) !== 0) o.size = n.size
  if ((n.links ?? 0) !== 0) o.links = n.links
  if ((n.linktarget ?? '') !== '') o.linktarget = n.linktarget
  if ((n.error ?? '') !== '') o.error = n.error
  return o
}

/** restic's time formats for --oldest/--newest, in local time. */
function parseWhen (v: string | undefined, name: string): bigint | undefined {
  if (v === undefined) return undefined
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v) ?? /^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v)
  if (m === null) throw new InvalidInputError(`unable to parse time: "${v}" (--${name}); use YYYY-MM-DD, "YYYY-MM-DD hh:mm" or "YYYY-MM-DD hh:mm:ss", local time.`)
  const [y, mo, d] = v.includes('.') ? [m[3], m[2], m[1]] : [m[1], m[2], m[3]]
  return BigInt(new Date(Number(y), Number(mo) - 1, Number(d), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)).getTime()) * 1_000_000n
}

const command: ResticCommand = {
  name: 'find',
  usage: '  find <pattern>…               find files and folders by name (-i, -l, -s <snapshot>, -O/-N <time>; --blob/--tree/--pack <id>…, --show-pack-id)',
  options: {
    oldest: { type: 'string', short: 'O' },
    newest: { type: 'string', short: 'N' },
    snapshot: { type: 'string', short: 's', multiple: true },
    blob: { type: 'boolean' },
    tree: { type: 'boolean' },
    pack: { type: 'boolean' },
    'show-pack-id': { type: 'boolean' },
    'ignore-case': { type: 'boolean', short: 'i' },
    long: { type: 'boolean', short: 'l' }
  },
  async run (ctx) {
    const { r, repo, args, values, io, json, signal } = ctx
    if (args.length === 0) throw new InvalidInputError('find needs at least one pattern (or IDs with --blob, --tree or --pack).')
    const kinds = ['blob', 'tree', 'pack'].filter(k => flag(values, k))
    if (kinds.length > 1) throw new InvalidInputError('cannot have several ID types: give one of --blob, --tree, --pack.')
    const oldest = parseWhen(str(values, 'oldest'), 'oldest')
    const newest = parseWhen(str(values, 'newest'), 'newest')
    let blobs: string[] | undefined = flag(values, 'blob') ? args : undefined
    if (flag(values, 'pack')) blobs = await r.packBlobs(repo, args, { signal })
    const snapshots = await selectSnapshots(ctx, list(values, 'snapshot'))
    if (blobs !== undefined || flag(values, 'tree')) {
      const seen = await printObjects(ctx, r.findIds(repo, snapshots, { blobs, trees: flag(values, 'tree') ? args : undefined, signal }))
      if (flag(values, 'show-pack-id')) {
        // restic lists the blobs (short IDs it met replaced by full ones), then the trees
        for (const id of blobs ?? []) showPack(ctx, seen.find(full => full.startsWith(id) && id.length === 8) ?? id, 'data')
        if (flag(values, 'tree')) for (const id of args) showPack(ctx, id, 'tree')
      }
      return 0
    }
    const matches = r.findNodes(repo, snapshots, args, { ignoreCase: flag(values, 'ignore-case'), oldest, newest, signal })
    if (json) { await printNodesJson(ctx, matches); return 0 }
    let current: Snapshot | undefined
    for await (const m of matches) {
      if (m.snapshot !== current) {
        if (current !== undefined) io.out('\n')
        current = m.snapshot
        io.out(`Found matching entries in snapshot ${current.id.slice(0, 8)} from ${localTime(current.time, r.parseTime)}\n`)
      }
      if (!flag(values, 'long')) { io.out(m.path + '\n'); continue }
      const n = m.node
      const mode = r.goModeString(Number(BigInt(TYPE_BITS[n.type] ?? 0) | BigInt(n.mode ?? 0)))
      io.out(`${mode} ${String(n.uid).padStart(5)} ${String(n.gid).padStart(5)} ${String(n.size ?? 0).padStart(6)} ${localTime(n.mtime, r.parseTime)} ${m.path}${n.type === 'symlink' ? ` -> ${n.linktarget ?? ''}` : ''}\n`)
    }
    return 0
  }
}

/** restic's streamed JSON: `[{"matches":[…],"hits":N,"snapshot":"<id>"},…]`. */
async function printNodesJson (ctx: ResticContext, matches: AsyncIterable<FindMatch>): Promise<void> {
  const { io, r } = ctx
  let current: Snapshot | undefined
  let hits = 0
  io.out('[')
  for await (const m of matches) {
    if (m.snapshot !== current) {
      if (current !== undefined) io.out(`],"hits":${hits},"snapshot":${JSON.stringify(current.id)}},`)
      io.out('{"matches":[')
      current = m.snapshot
      hits = 0
    }
    if (hits > 0) io.out(',')
    io.out(JSON.stringify(nodeJson(m.path, m.node, r.goModeString)))
    hits++
  }
  if (current !== undefined) io.out(`],"hits":${hits},"snapshot":${JSON.stringify(current.id)}}`)
  io.out(']\n')
}

/** restic's `--show-pack-id` lines for one object (full IDs only, as restic parses them). */
function showPack (ctx: ResticContext, id: string, type: 'data' | 'tree'): void {
  const { io, repo } = ctx
  if (!/^[0-9a-f]{64}$/.test(id)) { io.out(`Note: cannot find pack for object '${id}', unable to parse ID: invalid length for hash\n`); return }
  const b = repo.index.get(type, id)
  if (b === undefined) { io.out(`Object ${/^0+$/.test(id) ? '[null]' : id.slice(0, 8)} not found in the index\n`); return }
  io.out(`Object belongs to pack ${b.packId}\n ... Pack ${b.packId.slice(0, 8)}: <Blob (${type}) ${id.slice(0, 8)}, offset ${b.offset}, length ${b.length}, uncompressed length ${b.uncompressedLength ?? 0}>\n`)
}

/** Prints the objects as restic does; returns the IDs printed. */
async function printObjects (ctx: ResticContext, objects: AsyncIterable<FindObject>): Promise<string[]> {
  const { io, json, r } = ctx
  const seen: string[] = []
  let n = 0
  if (json) io.out('[')
  for await (const o of objects) {
    seen.push(o.id)
    if (json) {
      io.out((n++ > 0 ? ',' : '') + JSON.stringify({ object_type: o.kind, id: o.id, path: o.path, ...(o.parentTree !== undefined ? { parent_tree: o.parentTree } : {}), snapshot: o.snapshot.id, time: o.snapshot.time }))
      continue
    }
    io.out(`Found ${o.kind} ${o.id}\n`)
    if (o.kind === 'blob') io.out(` ... in file ${o.path}\n     (tree ${o.parentTree ?? ''})\n`)
    else io.out(` ... path ${o.path}\n`)
    io.out(` ... in snapshot ${o.snapshot.id.slice(0, 8)} (${localTime(o.snapshot.time, r.parseTime)})\n`)
  }
  if (json) io.out(']\n')
  return seen
}
export default command
