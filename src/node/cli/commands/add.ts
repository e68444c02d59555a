import { parseArgs } from 'node:util'
import { InvalidInputError } from '../../../core/errors.js'
import type { Command } from '../command.js'

const usage = `Usage: cairn add [options] <path>...

Adds files and directories as UnixFS and prints each one's root CID, with the same CIDs as
\`ipfs add\` (Kubo) for the chosen profile. A directory's CID covers its entries, not its own name.

Options:
  --profile <name>    unixfs-v0-2015 (default: Kubo's \`ipfs add\`: CIDv0, 256 KiB chunks)
                      or unixfs-v1-2025 (CIDv1, raw leaves, 1 MiB chunks)
  -n, --only-hash     compute the CIDs only; store nothing
  -q, --quiet         print only the CIDs, one per line
  -H, --hidden        include names that start with "." (skipped by default, as in Kubo)
  --repo-dir <dir>    local store (default: $CAIRN_HOME, else ~/.cairn)

Without --only-hash the blocks are stored in the local store and each root is pinned.

Examples:
  cairn add photo.jpg
  cairn add --profile unixfs-v1-2025 ./site
  cairn add -n -q big.iso`

const command: Command = {
  name: 'add',
  summary: 'Add files or directories and print their CIDs (same CIDs as `ipfs add`).',
  usage,
  async run (argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        profile: { type: 'string' },
        'only-hash': { type: 'boolean', short: 'n' },
        quiet: { type: 'boolean', short: 'q' },
        hidden: { type: 'boolean', short: 'H' },
        'repo-dir': { type: 'string' }
      }
    })
    if (positionals.length === 0) {
      throw new InvalidInputError('Nothing to add: give one or more paths, e.g. `cairn add photo.jpg`.')
    }

    const [{ addAll, getProfile, DEFAULT_PROFILE }, { addAndPin }, { fileSource }, { openLocalNode, repoDir }] = await Promise.all([
      import('../../../ipfs/add/index.js'),
      import('../../../ipfs/pins/index.js'),
      import('../../files/source.js'),
      import('../../files/repo.js')
    ])
    const profile = getProfile(values.profile ?? DEFAULT_PROFILE).name
    const onlyHash = values['only-hash'] === true
    const sourceOptions = { hidden: values.hidden === true, signal: io.signal }
    const print = (cid: string, name: string): void => {
      io.out(values.quiet === true ? `${cid}\n` : `added ${cid} ${name}\n`)
    }

    if (onlyHash) {
      const { BlackHoleBlockstore } = await import('blockstore-core/black-hole')
      for (const path of positionals) {
        const roots = await addAll(new BlackHoleBlockstore(), fileSource(path, io.cwd, sourceOptions), { profile, onlyHash: true, signal: io.signal })
        for (const root of roots) print(root.cid.toString(), root.name)
      }
      return 0
    }

    const node = await openLocalNode(repoDir(values['repo-dir'], io.env, io.cwd))
    try {
      for (const path of positionals) {
        const roots = await addAndPin(node.helia, fileSource(path, io.cwd, sourceOptions), { profile, signal: io.signal })
        for (const root of roots) print(root.cid.toString(), root.name)
      }
    } finally {
      await node.close()
    }
    return 0
  }
}

export default command
