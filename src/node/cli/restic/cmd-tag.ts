import { list, splitTags } from './context.js'
import { selectSnapshots } from './select.js'
import type { ResticCommand } from './context.js'

const command: ResticCommand = {
  name: 'tag',
  usage: '  tag [snapshot…]               change tags (--set a,b | --add a,b | --remove a,b); no snapshot: all matching the filters',
  options: { set: { type: 'string', multiple: true }, add: { type: 'string', multiple: true }, remove: { type: 'string', multiple: true } },
  async run (ctx) {
    const { r, repo, args, values, io, signal } = ctx
    // restic keeps `--set ""` as one empty tag, meaning "no tags"
    const set = list(values, 'set').flatMap(t => t === '' ? [''] : splitTags([t]))
    const change = { set, add: splitTags(list(values, 'add')), remove: splitTags(list(values, 'remove')) }
    r.checkTagChange(change)
    io.out('create exclusive lock for repository\n')
    const { changed } = await r.tagSnapshots(repo, await selectSnapshots(ctx, args), change, { signal })
    io.out(changed.length === 0 ? 'no snapshots were modified\n' : `modified tags on ${changed.length} snapshots\n`)
    return 0
  }
}
export default command
