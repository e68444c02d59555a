import { readFile } from 'node:fs/promises'
import type { Command } from '../command.js'

const command: Command = {
  name: 'version',
  summary: 'Print the cairn version and the Node version it runs on.',
  usage: 'Usage: cairn version\n\nPrints the cairn version and the Node version.',
  async run (_argv, io) {
    const pkg = JSON.parse(await readFile(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }
    io.out(`cairn ${pkg.version} (node ${process.versions.node})\n`)
    return 0
  }
}

export default command
