/** The `cairn restic` commands, one module each. Add a command by adding its module here. */
import backup from './cmd-backup.js'
import check from './cmd-check.js'
import diff from './cmd-diff.js'
import dump from './cmd-dump.js'
import copy from './cmd-copy.js'
import repair from './cmd-repair.js'
import rebuildIndex from './cmd-rebuild-index.js'
import recover from './cmd-recover.js'
import rewrite from './cmd-rewrite.js'
import exportRepo from './cmd-export.js'
import find from './cmd-find.js'
import forget from './cmd-forget.js'
import init from './cmd-init.js'
import key from './cmd-key.js'
import ls from './cmd-ls.js'
import prune from './cmd-prune.js'
import restore from './cmd-restore.js'
import snapshots from './cmd-snapshots.js'
import stats from './cmd-stats.js'
import tag from './cmd-tag.js'
import unlock from './cmd-unlock.js'
import type { ResticCommand } from './context.js'

export const RESTIC_COMMANDS: readonly ResticCommand[] = [
  init,
  backup,
  snapshots,
  ls,
  restore,
  check,
  forget,
  prune,
  key,
  unlock,
  exportRepo,
  diff,
  stats,
  find,
  dump,
  tag,
  copy,
  repair,
  rebuildIndex,
  recover,
  rewrite
]
