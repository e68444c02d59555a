import { runRepairIndex } from './cmd-repair.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'rebuild-index',
  usage: '  rebuild-index                 restic 0.14\'s name for `repair index`',
  options: { 'read-all-packs': { type: 'boolean' } },
  run: runRepairIndex
}
export default command
