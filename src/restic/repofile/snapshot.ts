/** Snapshot files (`snapshots/<id>`). */
import { goJsonString } from '../util/go-json.js'

export interface SnapshotFile {
  time: string
  parent?: string | undefined
  tree: string
  paths: string[]
  hostname?: string | undefined
  username?: string | undefined
  uid?: number | undefined
  gid?: number | undefined
  excludes?: string[] | undefined
  tags?: string[] | undefined
  original?: string | undefined
  program_version?: string | undefined
}

/** A loaded snapshot with its storage ID. */
export interface Snapshot extends SnapshotFile {
  id: string
}

export function parseSnapshot (json: unknown): SnapshotFile {
  const s = json as Partial<SnapshotFile>
  if (typeof s !== 'object' || s === null || typeof s.time !== 'string' || typeof s.tree !== 'string') throw new TypeError('snapshot without time or tree')
  return { ...s, paths: Array.isArray(s.paths) ? s.paths : [] } as SnapshotFile
}

/** Compact Go JSON in restic's struct order; empty optional fields are omitted. */
export function encodeSnapshot (s: SnapshotFile): string {
  const list = (a: string[]): string => '[' + a.map(goJsonString).join(',') + ']'
  let out = `{"time":${goJsonString(s.time)}`
  if (s.parent !== undefined && s.parent !== '') out += `,"parent":${goJsonString(s.parent)}`
  out += `,"tree":${goJsonString(s.tree)},"paths":${list(s.paths)}`
  if (s.hostname !== undefined && s.hostname !== '') out += `,"hostname":${goJsonString(s.hostname)}`
  if (s.username !== undefined && s.username !== '') out += `,"username":${goJsonString(s.username)}`
  if (s.uid !== undefined && s.uid !== 0) out += `,"uid":${s.uid}`
  if (s.gid !== undefined && s.gid !== 0) out += `,"gid":${s.gid}`
  if (s.excludes !== undefined && s.excludes.length > 0) out += `,"excludes":${list(s.excludes)}`
  if (s.tags !== undefined && s.tags.length > 0) out += `,"tags":${list(s.tags)}`
  if (s.original !== undefined && s.original !== '') out += `,"original":${goJsonString(s.original)}`
  return out + '}'
}
