/**
 * The two IPIP-499 UnixFS import profiles, written out in full.
 *
 * Every setting is explicit: Helia's `unixfs.addAll` fills in its own defaults (CIDv1, raw leaves,
 * 1 MiB chunks) *before* the importer looks at `profile`, so passing only `profile` through Helia
 * silently gives the v1 layout. We call the importer directly with these options instead.
 */
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { UnknownProfileError } from './errors.js'
import type { ImporterOptions, ShardSplitStrategy } from 'ipfs-unixfs-importer'

export type ProfileName = 'unixfs-v0-2015' | 'unixfs-v1-2025'

export const PROFILE_NAMES: readonly ProfileName[] = ['unixfs-v0-2015', 'unixfs-v1-2025']

/** Kubo's `ipfs add` default is the legacy profile, so that is ours too (same CIDs as `ipfs add`). */
export const DEFAULT_PROFILE: ProfileName = 'unixfs-v0-2015'

export interface Profile {
  name: ProfileName
  cidVersion: 0 | 1
  rawLeaves: boolean
  chunkSize: number
  maxChildrenPerNode: number
  /**
   * When a flat directory becomes a HAMT. Both profiles switch when the measure is strictly
   * greater than 256 KiB (boxo `needsToSwitchByLinkSize` / `needsToSwitchByBlockSize`: "> not >=",
   * a directory exactly at the threshold stays basic).
   */
  shardSplitThresholdBytes: number
  /**
   * `links-bytes`: the sum over links of (UTF-8 name bytes + CID bytes), Kubo's historic estimate
   * (boxo `linksize.LinkSizeFunction`). `block-bytes`: the exact size of the serialized dag-pb block.
   */
  shardSplitStrategy: ShardSplitStrategy
  /** HAMT fanout: 2^8 = 256 buckets, murmur3-x64-64 (as Kubo). */
  shardFanoutBits: number
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  'unixfs-v0-2015': {
    name: 'unixfs-v0-2015',
    cidVersion: 0,
    rawLeaves: false,
    chunkSize: 262_144,
    maxChildrenPerNode: 174,
    shardSplitThresholdBytes: 262_144,
    shardSplitStrategy: 'links-bytes',
    shardFanoutBits: 8
  },
  'unixfs-v1-2025': {
    name: 'unixfs-v1-2025',
    cidVersion: 1,
    rawLeaves: true,
    chunkSize: 1_048_576,
    maxChildrenPerNode: 1024,
    shardSplitThresholdBytes: 262_144,
    shardSplitStrategy: 'block-bytes',
    shardFanoutBits: 8
  }
}

export function getProfile (name: string): Profile {
  if (Object.hasOwn(PROFILES, name)) return PROFILES[name as ProfileName]
  throw new UnknownProfileError(`Unknown import profile "${name}". Use one of: ${PROFILE_NAMES.join(', ')}.`)
}

/** Importer options for a profile, with nothing left for a default to fill in. */
export function importerOptions (profile: Profile): ImporterOptions {
  return {
    cidVersion: profile.cidVersion,
    rawLeaves: profile.rawLeaves,
    // A single-chunk file is its own root (Kubo does the same: `ipfs add` of "hello world" is one block).
    reduceSingleLeafToSelf: true,
    leafType: 'file',
    chunker: fixedSize({ chunkSize: profile.chunkSize }),
    layout: balanced({ maxChildrenPerNode: profile.maxChildrenPerNode }),
    shardSplitThresholdBytes: profile.shardSplitThresholdBytes,
    shardSplitStrategy: profile.shardSplitStrategy,
    shardFanoutBits: profile.shardFanoutBits,
    fieldOrder: 'links-first',
    wrapWithDirectory: false
  }
}
