/**
 * Our rule for node names matches restic's: real restic 0.14 restores a repository with hostile
 * node names, written by Cairn, to exactly the tree `cairn restic restore` leaves, refuses the same
 * nodes ("invalid child node name"; NUL fails at open) and exits 1 after restoring the rest.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../../src/node/cli/main.js'
import type { CommandIO } from '../../../src/node/cli/command.js'
import { LocalBackend } from '../../../src/node/restic/local-backend.js'
import { Repository } from '../../../src/restic/index.js'
import { NAME_RULE_RESTORED, nameRuleTree, writeCraftedSnapshot } from '../../unit/restic/hostile.js'
import { listTree } from '../../unit/restic/hostile-fixture.js'
import { PASSWORD, SKIP, restic, tempDir } from './helpers.js'

const base = tempDir('hostile-interop')
afterAll(() => { rmSync(base, { recursive: true, force: true, maxRetries: 5 }) })

describe.skipIf(SKIP)('hostile node names: cairn and restic 0.14 agree', () => {
  it('restic refuses the same nodes and restores the same valid siblings', async () => {
    const repo = join(base, 'repo')
    const r = await Repository.init(new LocalBackend(repo), { password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 }, version: 2 })
    const id = await writeCraftedSnapshot(r, nameRuleTree())
    for (const who of ['restic', 'cairn']) mkdirSync(join(base, who), { recursive: true })

    const res = restic(['restore', id, '--target', join(base, 'restic', 'target')], { repo, allowFail: true })
    expect(res.status).toBe(1)
    expect(res.stderr).toMatch(/There were \d+ errors/)
    // restic names the folder holding the node and the name.
    for (const name of ['..', '../../evil', '../sibling', '../up', 'a/b', '.', '../../../deep']) expect(res.stderr).toContain(`invalid child node name ${name}\n`)
    expect(res.stderr).toMatch(/nul\\x00name|nul.name/)

    const pw = join(base, 'pw')
    writeFileSync(pw, PASSWORD)
    const x = { stdout: '', stderr: '', out: (t: string) => { x.stdout += t }, err: (t: string) => { x.stderr += t }, signal: new AbortController().signal, cwd: base, env: {} } satisfies CommandIO & { stdout: string, stderr: string }
    expect(await main(['restic', 'restore', id, '-r', repo, '--password-file', pw, '--target', join(base, 'cairn', 'target')], x)).toBe(1)

    for (const who of ['restic', 'cairn']) expect(readdirSync(join(base, who))).toEqual(['target'])
    expect(readdirSync(base).sort()).toEqual(['cairn', 'pw', 'repo', 'restic'])
    expect(listTree(join(base, 'restic', 'target'))).toEqual(NAME_RULE_RESTORED)
    expect(listTree(join(base, 'cairn', 'target'))).toEqual(NAME_RULE_RESTORED)
  })
})
