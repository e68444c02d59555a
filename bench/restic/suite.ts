/**
 * restic engine throughput in Node, against real restic on the same files: backup of random and
 * text-like data (512 MiB each; 64 MiB with --quick) into fresh v2 repositories, then restore.
 * Also the chunker alone. Single-threaded Cairn vs multi-threaded restic: the ratio is what to watch.
 */
import { execFileSync } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, openSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalBackend } from '../../src/node/restic/local-backend.js'
import { FsSource } from '../../src/node/restic/fs-source.js'
import { FsSink } from '../../src/node/restic/fs-sink.js'
import { Chunker, Repository, backup, findSnapshot, restore } from '../../src/restic/index.js'
import type { BenchSuite } from '../suite.js'

const MiB = 1024 * 1024
const PASSWORD = 'bench'

function writeData (file: string, mib: number, kind: 'random' | 'text'): void {
  const fd = openSync(file, 'w')
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(kind).digest(), Buffer.alloc(16))
  const words = ['restic', 'cairn', 'backup', 'chunk', 'blob', 'pack', 'index', 'tree', 'snapshot', 'the', 'of', 'and', 'a', 'to', 'in', 'repository']
  for (let i = 0; i < mib; i++) {
    const r = cipher.update(Buffer.alloc(MiB))
    if (kind === 'random') { writeSync(fd, r); continue }
    const parts: string[] = []
    let n = 0
    for (let j = 0; n < MiB; j++) { const w = words[(r[j % MiB] as number) % words.length] as string; parts.push(w); n += w.length + 1 }
    writeSync(fd, Buffer.from(parts.join(' ')).subarray(0, MiB))
  }
  closeSync(fd)
}

function time<T> (f: () => T): [T, number] { const t = performance.now(); const r = f(); return [r, (performance.now() - t) / 1000] }
async function timeAsync<T> (f: () => Promise<T>): Promise<[T, number]> { const t = performance.now(); const r = await f(); return [r, (performance.now() - t) / 1000] }

const suite: BenchSuite = {
  name: 'restic',
  async run ({ quick, log }) {
    const mib = quick ? 64 : 512
    const root = mkdtempSync(join(tmpdir(), 'cairn-bench-restic-'))
    const env = { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(root, 'cache') }
    const out: Record<string, unknown> = { mib }
    try {
      for (const kind of ['random', 'text'] as const) {
        const src = join(root, `src-${kind}`)
        mkdirSync(src)
        writeData(join(src, 'data.bin'), mib, kind)

        const chunker = new Chunker(0x3da3358b4dc173n)
        const [, chunkS] = await timeAsync(async () => { let n = 0; for await (const c of chunker.chunks(new FsSource([src]).open([...src.split('/').filter(Boolean), 'data.bin']))) n += c.length; return n })

        const ours = join(root, `cairn-${kind}`)
        const repo = await Repository.init(new LocalBackend(ours), { password: PASSWORD, scrypt: { N: 16384, r: 8, p: 1 } })
        const [, cairnS] = await timeAsync(async () => await backup(repo, new FsSource([src]), { hostname: 'bench' }))
        const [, cairnRestoreS] = await timeAsync(async () => { const r = await Repository.open(new LocalBackend(ours), { password: PASSWORD }); await restore(r, await findSnapshot(r, 'latest'), new FsSink(join(root, `out-cairn-${kind}`))) })

        const theirs = join(root, `restic-${kind}`)
        execFileSync('restic', ['-r', theirs, 'init'], { env, stdio: 'ignore' })
        const [, resticS] = time(() => execFileSync('restic', ['-r', theirs, 'backup', '--host', 'bench', src], { env, stdio: 'ignore' }))
        const [, resticRestoreS] = time(() => execFileSync('restic', ['-r', theirs, 'restore', 'latest', '--target', join(root, `out-restic-${kind}`)], { env, stdio: 'ignore' }))

        const r = {
          chunkerMiBps: +(mib / chunkS).toFixed(1),
          cairnBackupMiBps: +(mib / cairnS).toFixed(1),
          resticBackupMiBps: +(mib / resticS).toFixed(1),
          backupRatio: +(resticS / cairnS).toFixed(3),
          cairnRestoreMiBps: +(mib / cairnRestoreS).toFixed(1),
          resticRestoreMiBps: +(mib / resticRestoreS).toFixed(1),
          restoreRatio: +(resticRestoreS / cairnRestoreS).toFixed(3)
        }
        log(`restic bench ${kind}: ${JSON.stringify(r)}`)
        out[kind] = r
        rmSync(join(root, `out-cairn-${kind}`), { recursive: true, force: true })
        rmSync(join(root, `out-restic-${kind}`), { recursive: true, force: true })
      }
      return out
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  }
}

export default suite
