import { InvalidInputError } from '../../../core/errors.js'
import { showName } from '../../../core/names.js'
import { findSnapshot } from './context.js'
import type { ResticCommand } from './context.js'
import type { Node } from '../../../restic/index.js'

/** One node as restic 0.14's `ls --json` prints it: size for regular files only (0 included), mode and permissions when set. */
export function lsNodeJson (node: Node, path: string, modeString: (mode: number) => string): Record<string, unknown> {
  return {
    name: node.name,
    type: node.type,
    path,
    uid: node.uid,
    gid: node.gid,
    ...(node.type === 'file' ? { size: node.size ?? 0 } : {}),
    ...(node.mode !== undefined && node.mode !== 0 ? { mode: node.mode } : {}),
    permissions: modeString(node.mode ?? 0),
    mtime: node.mtime,
    atime: node.atime,
    ctime: node.ctime,
    struct_type: 'node'
  }
}

const command: ResticCommand = {
  name: 'ls',
  usage: '  ls <snapshot>                 list the files in a snapshot',
  async run (ctx) {
    const { r, repo, args, io, json, signal } = ctx
    if (args[0] === undefined) throw new InvalidInputError('ls needs a snapshot: an ID, a prefix, or "latest".')
    const snap = await findSnapshot(ctx, args[0])
    await repo.loadIndex({ signal })
    if (json) io.out(JSON.stringify({ ...snap, short_id: snap.id.slice(0, 8), struct_type: 'snapshot' }) + '\n')
    else io.out(`snapshot ${snap.id.slice(0, 8)} of [${snap.paths.join(' ')}] at ${snap.time}:\n`)
    for await (const e of r.walk(repo, snap.tree, { signal })) {
      // Names are shown quoted when they would read as something else ("..", "a/b", a newline):
      // restic 0.14 prints such a node as the path it would clean to (/evil for "../../evil").
      const path = '/' + e.path.map(showName).join('/')
      if (json) io.out(JSON.stringify(lsNodeJson(e.node, path, r.goModeString)) + '\n')
      else io.out(path + '\n')
    }
    return 0
  }
}
export default command
