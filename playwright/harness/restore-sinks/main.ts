/**
 * Test harness (playwright/specs/restore-sinks.spec.ts): restores a hostile snapshot, written in
 * the page with the project's own restic code, into the origin private file system through
 * `DirectorySink` and into the entries of a zip through `ZipSink`, as the Backups page does.
 */
import { MemoryBackend, Repository, findSnapshot, restore } from '../../../src/restic/index.js'
import { DirectorySink, ZipSink } from '../../../src/platform/restic-sinks.js'
import { nameRuleTree, writeCraftedSnapshot } from '../../../test/unit/restic/hostile.js'

interface Outcome { errors: Array<{ path: string, code?: string | undefined }>, message: string }

function outcome (err: unknown): Outcome {
  const e = err as { message?: string, errors?: Array<{ path: string, code?: string }> }
  return { errors: (e.errors ?? []).map(x => ({ path: x.path, code: x.code })), message: e.message ?? String(err) }
}

/** Every entry below `dir`: path → "dir" or "file:<content>". */
async function list (dir: FileSystemDirectoryHandle, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const entries: Array<[string, FileSystemHandle]> = []
  for await (const e of (dir as unknown as { entries: () => AsyncIterable<[string, FileSystemHandle]> }).entries()) entries.push(e)
  entries.sort((a, b) => a[0] < b[0] ? -1 : 1)
  for (const [name, h] of entries) {
    const rel = prefix === '' ? name : `${prefix}/${name}`
    if (h.kind === 'directory') { out[rel] = 'dir'; Object.assign(out, await list(h as FileSystemDirectoryHandle, rel)) } else out[rel] = `file:${await (await (h as FileSystemFileHandle).getFile()).text()}`
  }
  return out
}

async function run (): Promise<unknown> {
  const repo = await Repository.init(new MemoryBackend(), { password: 'hostile', scrypt: { N: 1024, r: 8, p: 1 }, version: 2 })
  const tree = [...nameRuleTree(), { name: 'win\\dir', type: 'dir' as const, children: [{ name: 'f', type: 'file' as const, data: 'win\n' }] }]
  const snap = await findSnapshot(repo, await writeCraftedSnapshot(repo, tree))

  const opfs = await navigator.storage.getDirectory()
  const target = await opfs.getDirectoryHandle('target', { create: true })
  let folder: Outcome | undefined
  await restore(repo, snap, new DirectorySink(target)).catch((err: unknown) => { folder = outcome(err) })

  const zip = new ZipSink('snap')
  const names: string[] = []
  const reading = (async () => {
    for await (const e of zip.entries()) {
      let text = ''
      if (e.input !== undefined) for await (const piece of e.input) text += new TextDecoder().decode(piece)
      names.push(e.input === undefined ? e.name : `${e.name}=${text}`)
    }
  })()
  let zipped: Outcome | undefined
  await restore(repo, snap, zip).then(() => { zip.end() }, (err: unknown) => { zipped = outcome(err); zip.end() })
  await reading
  return { folder, opfs: await list(opfs), zipped, zip: names.sort() }
}

(globalThis as { sinksHarness?: unknown }).sinksHarness = { run }
