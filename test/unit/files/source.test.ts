import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAll } from '../../../src/ipfs/add/index.js'
import { UnreadableFileError, UnsupportedFileTypeError } from '../../../src/node/files/errors.js'
import { fileSource } from '../../../src/node/files/source.js'
import type { AddEntry } from '../../../src/ipfs/add/index.js'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'cairn-src-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5 }) })

describe('Node file source', () => {
  it('a file that vanishes before it is read fails with UnreadableFileError naming it', async () => {
    await writeFile(join(dir, 'vanishing.txt'), 'soon gone')
    const entries: AddEntry[] = []
    for await (const e of fileSource('vanishing.txt', dir)) entries.push(e)
    await rm(join(dir, 'vanishing.txt'))
    const err = await addAll(new MemoryBlockstore(), entries).then(() => undefined, (e: unknown) => e as UnreadableFileError)
    expect(err).toBeInstanceOf(UnreadableFileError)
    expect(err?.path).toBe(join(dir, 'vanishing.txt'))
    expect(err?.message).toContain('does not exist')
  })

  it('a named pipe is refused with UnsupportedFileTypeError', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe')])
    const err = await (async () => { for await (const _ of fileSource('pipe', dir)) { /* walk */ } })().then(() => undefined, (e: unknown) => e as Error)
    expect(err).toBeInstanceOf(UnsupportedFileTypeError)
    expect(err?.message).toContain('pipe')
  })
})
