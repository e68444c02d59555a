import { flag } from './context.js'
import type { ResticCommand, ResticContext } from './context.js'

export async function runPrune ({ r, repo, values, io, json, signal }: ResticContext): Promise<number> {
  const dryRun = flag(values, 'dry-run')
  const res = await r.prune(repo, { dryRun, signal })
  io.out(json ? JSON.stringify(res) + '\n' : `prune: kept ${res.packsKept} packs, repacked ${res.packsRepacked} (${res.blobsRepacked} blobs into ${res.newPacks} packs), removed ${res.packsRemoved} unused and ${res.unreferencedRemoved} unreferenced packs${dryRun ? ' (dry run: nothing changed)' : ''}\n`)
  return 0
}

const command: ResticCommand = {
  name: 'prune',
  usage: '  prune                         remove data no snapshot uses (-n: only show what would happen)',
  options: { 'dry-run': { type: 'boolean', short: 'n' } },
  run: runPrune
}
export default command
