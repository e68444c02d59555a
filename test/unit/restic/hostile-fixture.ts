/** Lists what a restore left in a folder (Node only; the crafted trees are in hostile.ts). */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'

/** Every entry below `dir`: relative path → "dir", "file:<content>" or "symlink:<target>". */
export function listTree (dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    const rel = prefix === '' ? name : `${prefix}/${name}`
    const st = lstatSync(p)
    if (st.isSymbolicLink()) out[rel] = `symlink:${readlinkSync(p)}`
    else if (st.isDirectory()) { out[rel] = 'dir'; Object.assign(out, listTree(p, rel)) } else out[rel] = `file:${readFileSync(p, 'utf8')}`
  }
  return out
}
