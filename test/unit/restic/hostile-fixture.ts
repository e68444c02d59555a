/** The hostile snapshots of the restore tests, and what a safe restore leaves in its target. */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Crafted } from './hostile.js'

/** Names restic refuses ("invalid child node name") next to valid siblings. */
export function nameRuleTree (): Crafted[] {
  return [
    { name: 'ok.txt', type: 'file', data: 'fine\n' },
    { name: '..', type: 'file', data: 'dotdot\n' },
    { name: '../../evil', type: 'file', data: 'evil\n' },
    { name: '../sibling', type: 'file', data: 'sibling\n' },
    { name: '../up', type: 'dir', children: [{ name: 'f', type: 'file', data: 'up\n' }] },
    { name: 'a/b', type: 'file', data: 'slash\n' },
    { name: '.', type: 'dir', children: [{ name: 'dot-child', type: 'file', data: 'dot\n' }] },
    { name: '', type: 'file', data: 'empty name\n' },
    { name: 'nul\0name', type: 'file', data: 'nul\n' },
    { name: 'back\\slash', type: 'file', data: 'a backslash is a plain character on Linux\n' },
    {
      name: 'sub',
      type: 'dir',
      children: [
        { name: 'inner.txt', type: 'file', data: 'inner\n' },
        { name: '../../../deep', type: 'file', data: 'deep\n' },
        { name: 'link-ok', type: 'symlink', linktarget: '../ok.txt' }
      ]
    }
  ]
}

/** The paths in the snapshot of the refused nodes, as the warnings name them. */
export const NAME_RULE_REFUSED = ['/".."', '/"../../evil"', '/"../sibling"', '/"../up"', '/"a/b"', '/"."', '/""', '/"nul\\u0000name"', '/sub/"../../../deep"']

/** What a restore of `nameRuleTree()` leaves in its target. */
export const NAME_RULE_RESTORED = {
  'back\\slash': 'file:a backslash is a plain character on Linux\n',
  'ok.txt': 'file:fine\n',
  sub: 'dir',
  'sub/inner.txt': 'file:inner\n',
  'sub/link-ok': 'symlink:../ok.txt'
}

/**
 * A symlink to `outside`, then a directory of the same name holding a file; and a symlink named
 * like the old sink's temporary file next to the file it would have redirected.
 */
export function symlinkTree (outside: string): Crafted[] {
  return [
    { name: 'lnk', type: 'symlink', linktarget: outside },
    { name: 'lnk', type: 'dir', children: [{ name: 'f', type: 'file', data: 'through the link\n' }] },
    { name: 'x.cairn-restore-tmp', type: 'symlink', linktarget: join(outside, 'victim') },
    { name: 'x', type: 'file', data: 'through the temporary name\n' },
    { name: 'ok', type: 'file', data: 'fine\n' }
  ]
}

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
