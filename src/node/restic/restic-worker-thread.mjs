// Entry of a restic worker thread (see worker-pool.ts): the sources are TypeScript, run through tsx.
import { register } from 'tsx/esm/api'

register()
await import('./restic-worker-thread.ts')
