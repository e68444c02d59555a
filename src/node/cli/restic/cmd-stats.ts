import { str } from './context.js'
import { formatBytes, left5, selectSnapshots } from './select.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'stats',
  usage: '  stats [snapshot…]             sizes and counts (--mode restore-size|files-by-contents|raw-data|blobs-per-file)',
  options: { mode: { type: 'string' } },
  async run (ctx) {
    const { r, repo, args, values, io, json, signal } = ctx
    const mode = r.parseStatsMode(str(values, 'mode') ?? 'restore-size')
    await repo.loadIndex({ signal })
    if (!json) io.out('scanning...\n')
    const result = await r.stats(repo, await selectSnapshots(ctx, args), { mode, signal })
    if (json) { io.out(JSON.stringify(result) + '\n'); return 0 }
    io.out(`Stats in ${mode} mode:\nSnapshots processed:   ${result.snapshots_count}\n`)
    if ((result.total_blob_count ?? 0) > 0) io.out(`   Total Blob Count:   ${result.total_blob_count}\n`)
    if (result.total_file_count > 0) io.out(`   Total File Count:   ${result.total_file_count}\n`)
    io.out(`         Total Size:   ${left5(formatBytes(result.total_size))}\n`)
    return 0
  }
}
export default command
