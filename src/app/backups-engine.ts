/**
 * Everything the Backups page runs, in one lazily loaded chunk: the restic engine, the IPFS
 * backend, and the browser's sources and sinks. The page's first load does not pay for it.
 */
export { Repository } from '../restic/repository/repository.js'
export { backup } from '../restic/archiver/archiver.js'
export { restore } from '../restic/restorer/restorer.js'
export { listSnapshots, findSnapshot } from '../restic/ops/snapshots.js'
export { findNode, loadTree, splitPath } from '../restic/ops/tree-walk.js'
export { forget } from '../restic/ops/forget.js'
export { prune } from '../restic/ops/prune.js'
export { check } from '../restic/ops/check.js'
export { removeLocks } from '../restic/repository/lock.js'
export { parseTime } from '../restic/util/go-json.js'
export { WrongPasswordError, RepositoryLockedError } from '../restic/errors.js'
export { createIpfsBackend } from '../ipfs/restic-backend/index.js'
export { parseName } from '../ipfs/ipns/index.js'
export { PickedSource } from '../platform/restic-source.js'
export { DirectorySink, ZipSink } from '../platform/restic-sinks.js'
export { TreeStats } from './backup-stats.js'
export { makeZip } from 'client-zip'
export { CID } from 'multiformats/cid'
