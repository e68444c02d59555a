/** Tree blobs: a sorted list of nodes, serialised byte-for-byte as restic 0.14 does. */
import { compareBytes, utf8 } from '../util/bytes.js'
import { goJsonString, goQuote, goUnquote, goUnquoteBytes } from '../util/go-json.js'
import { goLossyString, goQuoteBytes, isValidUtf8 } from '../util/go-utf8.js'

export type NodeType = 'file' | 'dir' | 'symlink' | 'dev' | 'chardev' | 'fifo' | 'socket' | 'irregular'

/** A tree node with its real (unquoted) name. Times are RFC 3339 strings with nanoseconds. */
export interface Node {
  name: string
  /**
   * The name's bytes, when they are not valid UTF-8 (a Linux file name can be any bytes); `name`
   * then holds Go's lossy form (U+FFFD per invalid byte). Not a field of the blob: the name is
   * written from these bytes, quoted as restic does (`\xNN` per invalid byte).
   */
  nameBytes?: Uint8Array | undefined
  type: NodeType
  mode?: number | undefined
  mtime: string
  atime: string
  ctime: string
  uid: number
  gid: number
  user?: string | undefined
  group?: string | undefined
  inode?: number | undefined
  device_id?: number | undefined
  size?: number | undefined
  links?: number | undefined
  linktarget?: string | undefined
  linktarget_raw?: string | undefined
  extended_attributes?: Array<{ name: string, value: string }> | undefined
  device?: number | undefined
  content: string[] | null
  subtree?: string | undefined
  error?: string | undefined
}

export interface Tree { nodes: Node[] }

/** Go os.FileMode type bits, as restic stores them. */
export const MODE = {
  DIR: 2 ** 31,
  SYMLINK: 2 ** 27,
  DEVICE: 2 ** 26,
  NAMED_PIPE: 2 ** 25,
  SOCKET: 2 ** 24,
  SETUID: 2 ** 23,
  SETGID: 2 ** 22,
  CHAR_DEVICE: 2 ** 21,
  STICKY: 2 ** 20,
  IRREGULAR: 2 ** 19,
  PERM: 0o777
} as const

/** Unix permission bits (incl. setuid/setgid/sticky) from a Go FileMode. */
export function unixPermissions (mode: number): number {
  let perm = mode & 0o777
  if (Math.floor(mode / MODE.SETUID) % 2 === 1) perm |= 0o4000
  if (Math.floor(mode / MODE.SETGID) % 2 === 1) perm |= 0o2000
  if (Math.floor(mode / MODE.STICKY) % 2 === 1) perm |= 0o1000
  return perm
}

/** Go's `FileMode.String()`: type letters ("dalTLDpSugct?" for bits 31…19, or "-"), then rwxrwxrwx. */
export function goModeString (mode: number): string {
  const letters = 'dalTLDpSugct?'
  let out = ''
  for (let i = 0; i < letters.length; i++) {
    if (Math.floor(mode / 2 ** (31 - i)) % 2 === 1) out += letters[i] as string
  }
  if (out === '') out = '-'
  const rwx = 'rwxrwxrwx'
  for (let i = 0; i < 9; i++) out += (mode & (1 << (8 - i))) !== 0 ? rwx[i] as string : '-'
  return out
}

/** A Go FileMode from a node type and Unix st_mode permission bits. */
export function goFileMode (type: NodeType, unixMode: number): number {
  let m = unixMode & 0o777
  if ((unixMode & 0o4000) !== 0) m += MODE.SETUID
  if ((unixMode & 0o2000) !== 0) m += MODE.SETGID
  if ((unixMode & 0o1000) !== 0) m += MODE.STICKY
  switch (type) {
    case 'dir': m += MODE.DIR; break
    case 'symlink': m += MODE.SYMLINK; break
    case 'dev': m += MODE.DEVICE; break
    case 'chardev': m += MODE.DEVICE + MODE.CHAR_DEVICE; break
    case 'fifo': m += MODE.NAMED_PIPE; break
    case 'socket': m += MODE.SOCKET; break
    case 'irregular': m += MODE.IRREGULAR; break
    default: break
  }
  return m
}

/** Parse a tree blob; node names are Go-unquoted. */
export function parseTree (bytes: Uint8Array): Tree {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as { nodes?: unknown }
  if (typeof json !== 'object' || json === null || !Array.isArray(json.nodes)) throw new TypeError('not a tree: no "nodes" array')
  const nodes = (json.nodes as Node[]).map(n => {
    if (typeof n !== 'object' || n === null || typeof n.name !== 'string' || typeof n.type !== 'string') throw new TypeError('tree node without name or type')
    if (!n.name.includes('\\')) return n
    const bytes = goUnquoteBytes(n.name)
    return isValidUtf8(bytes) ? { ...n, name: goUnquote(n.name) } : { ...n, name: goLossyString(bytes), nameBytes: bytes }
  })
  return { nodes }
}

function optNum (key: string, v: number | undefined): string {
  return v === undefined || v === 0 ? '' : `,"${key}":${v}`
}
function optStr (key: string, v: string | undefined): string {
  return v === undefined || v === '' ? '' : `,"${key}":${goJsonString(v)}`
}

/** One node as compact Go JSON in restic's field order. */
export function encodeNode (n: Node): string {
  const quoted = n.nameBytes === undefined ? goQuote(n.name) : goQuoteBytes(n.nameBytes)
  let s = `{"name":${goJsonString(quoted)},"type":${goJsonString(n.type)}`
  s += optNum('mode', n.mode)
  s += `,"mtime":${goJsonString(n.mtime)},"atime":${goJsonString(n.atime)},"ctime":${goJsonString(n.ctime)}`
  s += `,"uid":${n.uid},"gid":${n.gid}`
  s += optStr('user', n.user) + optStr('group', n.group)
  s += optNum('inode', n.inode) + optNum('device_id', n.device_id) + optNum('size', n.size) + optNum('links', n.links)
  s += optStr('linktarget', n.linktarget) + optStr('linktarget_raw', n.linktarget_raw)
  if (n.extended_attributes !== undefined && n.extended_attributes.length > 0) {
    s += ',"extended_attributes":[' + n.extended_attributes.map(a => `{"name":${goJsonString(a.name)},"value":${goJsonString(a.value)}}`).join(',') + ']'
  }
  s += optNum('device', n.device)
  s += ',"content":' + (n.content === null ? 'null' : '[' + n.content.map(id => `"${id}"`).join(',') + ']')
  s += optStr('subtree', n.subtree) + optStr('error', n.error)
  return s + '}'
}

/** Sort nodes by name bytes (Go string order); throws on duplicates. */
export function sortNodes (nodes: Node[]): Node[] {
  const keyed = nodes.map(n => ({ n, k: n.nameBytes ?? utf8(n.name) }))
  keyed.sort((a, b) => compareBytes(a.k, b.k))
  for (let i = 1; i < keyed.length; i++) {
    if (compareBytes((keyed[i - 1] as { k: Uint8Array }).k, (keyed[i] as { k: Uint8Array }).k) === 0) throw new RangeError(`duplicate name "${(keyed[i] as { n: Node }).n.name}" in tree`)
  }
  return keyed.map(x => x.n)
}

/** The exact tree blob bytes restic writes: `{"nodes":[…]}\n`, sorted by name. */
export function encodeTree (nodes: Node[]): Uint8Array {
  return utf8('{"nodes":[' + sortNodes(nodes).map(encodeNode).join(',') + ']}\n')
}
