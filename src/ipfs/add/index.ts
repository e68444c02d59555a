/**
 * UnixFS import with Kubo-identical CIDs under the IPIP-499 profiles.
 *
 * @example
 * ```ts
 * import { MemoryBlockstore } from 'blockstore-core/memory'
 * import { addAll } from './index.js'
 *
 * const roots = await addAll(new MemoryBlockstore(), [{ path: 'hello.txt', content: [new TextEncoder().encode('hello world\n')] }])
 * roots[0]?.cid.toString() // 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
 * ```
 * @module
 */
export { addAll, addBytes, importEntries } from './add.js'
export type { AddEntry, AddedEntry, AddOptions, AddProgressEvents, Mtime } from './add.js'
export { DEFAULT_PROFILE, PROFILES, PROFILE_NAMES, getProfile, importerOptions } from './profiles.js'
export type { Profile, ProfileName } from './profiles.js'
export { estimateDirectorySize, kuboTreeBuilder, pathComponents } from './tree-builder.js'
export { AddReadError, InvalidAddEntryError, UnknownProfileError } from './errors.js'
